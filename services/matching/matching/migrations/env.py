from servicekit.db.migrations import run_env

from matching.models import Base

run_env(Base.metadata)

from servicekit.db.migrations import run_env

from support.models import Base

run_env(Base.metadata)

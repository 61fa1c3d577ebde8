from servicekit.db.migrations import run_env

from contracts.models import Base

run_env(Base.metadata)

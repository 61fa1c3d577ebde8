"""WohnenPlus notifications service."""

"""WohnenPlus support service."""

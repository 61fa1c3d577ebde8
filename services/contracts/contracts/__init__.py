"""WohnenPlus contracts service."""

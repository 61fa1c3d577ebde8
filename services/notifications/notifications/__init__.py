"""WohnenPlus notifications: German messages for every step, over inbox, email and webhooks."""

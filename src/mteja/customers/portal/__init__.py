"""Portal sessions: a link that lets one customer change their own billing details."""

"""Built-in protocol versions, one plugin module each."""

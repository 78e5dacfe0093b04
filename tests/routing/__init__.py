"""Routes and responses: path and method matching, response kinds, handler exceptions as clean errors."""

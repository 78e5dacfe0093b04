"""Handler parameters: query and path coercion, headers, cookies, constraints, Depends, the Annotated
spelling, form fields and uploads."""

"""Small building blocks with no domain imports."""

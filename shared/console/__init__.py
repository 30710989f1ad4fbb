"""The operations console: static files (HTML, CSS, JavaScript modules) served at
``/console`` by the ``api`` function. The page is one more client of the public
``/api`` routes, with the user's token; nothing here reads the database."""

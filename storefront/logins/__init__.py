"""Signed-in sessions kept on the server (buyers and staff): a random token in the signed cookie names a row in
``login_sessions``; signing out, a password change or «sign out everywhere» deletes rows, so a copied cookie (or
remember cookie) stops working. ``services.py`` takes a Session and values; ``web.py`` is the request side."""

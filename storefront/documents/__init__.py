"""Printable documents for buyers and their accountants: the PDF drawing shared by every document."""

"""The rules of Atrium: plain typed functions, one module per area."""

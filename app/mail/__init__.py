"""E-mail parsing, loop checks and composing: pure functions, no Flask."""

"""signlint: finds sign-extension bugs in C and says how to fix them."""

__version__ = "0.1.0"

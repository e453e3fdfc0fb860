"""Talking to a board: the on-board PYNQ driver (``pynq_driver.py``, runs ON the board), the
stream description it reads (``meta.py`` -> ``accel.json``) and the host-side SSH helpers."""

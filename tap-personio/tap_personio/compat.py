"""`override`: in `typing` from Python 3.12; on 3.11 typing-extensions' (as the SDK does).

Every method the tap overrides is marked with it, and its modules enable mypy's `explicit-override`, so an SDK
upgrade that renames or drops a hook (several are private, which is why the SDK is pinned exactly) is a type
error instead of a hook that silently stops being called.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 12):
    from typing import override
else:  # singer-sdk depends on typing-extensions below Python 3.13
    from typing_extensions import override

__all__ = ["override"]

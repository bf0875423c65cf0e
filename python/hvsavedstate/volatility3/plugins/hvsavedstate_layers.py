# SPDX-License-Identifier: MIT
"""volatility3 plugin-directory entry point for the hvsavedstate layers.

Give this file's directory to vol.py with ``-p``; volatility3 imports every
module of a plugin directory, and importing this one registers the layers
and the stacker of ``hvsavedstate.volatility3.layer`` (volatility3 finds
stackers as subclasses of StackerLayerInterface).  When the hvsavedstate
package is not importable (not installed, no PYTHONPATH), the package this
file lives in is used.
"""
import os
import sys

try:
    import hvsavedstate  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))))

from hvsavedstate.volatility3.layer import (  # noqa: E402,F401
    HvsPhysicalLayer, HvsPhysicalStacker, HvsRawLayer, HvsStacker)

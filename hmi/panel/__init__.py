"""The line-side touch panel (`ms5 panel`): PySide6 + pyqtgraph, the station in the same process.

Widgets render the station's named views (hmi/station/views.py) and send engine commands through the
link; the engine checks permissions and computes every figure.
"""

import os

# Both pick a Qt binding on import: they must agree on PySide6 whatever else is installed.
os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

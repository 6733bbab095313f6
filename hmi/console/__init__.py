"""`ms5 console`: the Textual maintenance console (docs/CONSOLE.md).

It renders the station's named views (hmi/station/views.py) through a `StationLink`, whether the station
runs in this process or in another one behind the station socket.
"""

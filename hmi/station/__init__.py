"""The station runtime: connections -> engine -> store, the views the faces render, the link a face holds."""

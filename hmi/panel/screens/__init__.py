"""The panel's screens, one module each; every screen has `refresh(now)`."""

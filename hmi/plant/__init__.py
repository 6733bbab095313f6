"""The plant console: every edge node on the Sparkplug B broker, as a host application sees it."""

"""The station as a Sparkplug B edge node: what it publishes (`metrics`), the MQTT session with its
births, deaths, commands and store-and-forward (`edge`). See docs/SPARKPLUG.md."""

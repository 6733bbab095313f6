"""Sparkplug B 3.0 without MQTT: the Payload codec (`payload`) and the topic namespace (`topics`).

Pure functions over bytes and strings; it imports protobuf only, so both the edge node in the
station and a Sparkplug host (the plant console) share it. See each module's docstring for its API.
"""

"""`tuyaface bridge`: Tuya devices on MQTT in zigbee2mqtt's conventions, with Home Assistant
discovery. Needs the `bridge` extra (`pip install "tuyaface-client[bridge]"`): aiomqtt
and PyYAML. The library never imports this package by itself.

Modules: config (bridge.yaml, devices.json, MQTT URL, shards), topics, entities (the
`BridgedDevice` adapter and its raw-DP implementation), hass (discovery configs),
requests (bridge requests), runner (`Bridge`), broker (a local broker for tests and the
demo), demo (`tuyaface bridge --demo`).
"""

"""tuyaface: control Tuya Wi-Fi devices over the local network."""

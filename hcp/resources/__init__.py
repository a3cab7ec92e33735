"""One module per HCP API area; each resource is an attribute of `HcpClient`."""

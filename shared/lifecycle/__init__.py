"""The data lifecycle: how long rows are kept (retention), a user's data taken out
(export) and erased (erasure), all driven by the database's catalog."""

"""Lab control over HTTP, for deployments with several web processes (docs/architecture.md, "Modes").

moto is not safe to share between processes, and the engine's state (sandbox registry and clocks, issued sessions,
MFA replay memory, recent Decisions) lives in memory. So one `python -m gateway` process owns both, and every web
process points LAB_GATEWAY_URL at it: learner boto3 clients already go there over HTTP (gateway.client); this package
carries the rest, in four modules:

- `wire`: the JSON codec (to_wire/from_wire), errors on the wire, RemoteDecision, the token and the paths;
- `server`: LabControlApp, the WSGI wrapper answering `POST /_lab/v1/<method>`, its argument checks and the admin
  proxy (`POST /_lab/v1/admin`: one raw AWS request straight to moto in an account);
- `client`: the HTTP transport, RemoteLab and the Remote* façades, remote_lab and remote_admin_client;
- `store`: KeyValueStore (the web processes' shared memory, in the gateway) and RemoteKeyValueStore.

Security. `/_lab/` gives full control over every sandbox, so it needs a shared secret: the gateway reads
LAB_CONTROL_TOKEN (at least 16 characters) and the caller sends it as `Authorization: Bearer <token>`; the compare is
constant-time. Without the variable the control API is off (403) and the gateway still serves AWS requests. There is
deliberately no "loopback needs no token" exception: a reverse proxy on the same host makes every outside request
come from 127.0.0.1, and on a shared machine any local user could reach the port. `/_lab/` exists only at the root of
the `python -m gateway` server: Django's /aws/ mount serves the bare GatewayApp, where `/aws/_lab/...` is just an
(unroutable) AWS request.
"""

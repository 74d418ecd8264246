-- Prosody configuration for the Starling benchmark (bench/servers/prosody.ts fills in the {{...}} values).
-- Loopback only, no s2s listener, HTTP only for WebSocket, registration open for bulk account creation, no rate limits
-- (mod_limits is not loaded), logging at warn so log I/O is not what is measured. mod_presence, mod_message and
-- mod_offline are loaded by Prosody itself.
run_as_root = true
pidfile = "{{DIR}}/prosody.pid"
data_path = "{{DIR}}/data"
log = { warn = "{{DIR}}/prosody.log" }
network_backend = "epoll"
network_settings = { tcp_backlog = 1024 }
interfaces = { "127.0.0.1" }
c2s_ports = { {{PORT}} }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = {}
legacy_ssl_ports = {}
s2s_ports = {}
http_ports = { {{HTTP_PORT}} }
http_interfaces = { "127.0.0.1" }
https_ports = {}
component_ports = {}
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "register", "websocket" }
-- XMPP over WebSocket for --transport ws, plain on loopback like the c2s port.
consider_websocket_secure = true
modules_disabled = { "s2s", "s2s_auth_certs" }
authentication = "internal_hashed"
default_iteration_count = 4096
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = false
allow_registration = true
c2s_timeout = 3600
certificates = "{{CERTDIR}}"
ssl = { certificate = "{{CERT}}", key = "{{KEY}}" }

VirtualHost "{{DOMAIN}}"
  ssl = { certificate = "{{CERT}}", key = "{{KEY}}" }

-- The muc scenario's room service (no room limits; history off for joins, the scenario asks for none anyway).
Component "conference.{{DOMAIN}}" "muc"
  max_history_messages = 20
  muc_room_default_public = true

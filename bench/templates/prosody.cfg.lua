-- Prosody configuration for the Starling benchmark (bench/servers/prosody.ts fills in the {{...}} values).
-- Loopback only, no s2s/http listeners, registration open for bulk account creation, no rate limits
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
http_ports = {}
https_ports = {}
component_ports = {}
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "register" }
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

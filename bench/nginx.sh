# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# bench/nginx.sh: the part of a private nginx configuration both benchmarks share. Sourced.
#
# nginx_conf_prologue DIR: prints the top of an nginx.conf whose pid file, logs and temporary
# directories all live in DIR, with two workers (as hearthd's backend has two server threads) and
# no access log, and opens the http block: the caller prints its own http settings and servers,
# then the closing brace.
nginx_conf_prologue() {
  local dir=$1
  # As root, the workers must still read the benchmark's 0700 temporary directory.
  if [[ $(id -u) == 0 ]]; then echo "user root;"; fi
  cat <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
CONF
}

# shellcheck shell=bash
# Redis in a private data folder on a non-default port, with the AOF fsynced
# on every write: the CDR queue acknowledges a CDR only once Redis holds it,
# and "holds" must survive kill -9 of Redis itself.
#
#   redis_start DIR PORT    start (idempotent); waits until it answers PING
#   redis_stop  DIR PORT [kill]   SHUTDOWN (saves) or kill -9
#   redis_url   PORT        the URL daemons use

redis_start() {
	local dir=$1 port=$2 i
	mkdir -p "$dir"
	if redis-cli -p "$port" PING 2>/dev/null | grep -q PONG; then
		return 0
	fi
	cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
dir $dir
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
appendonly yes
appendfsync always
save ""
protected-mode yes
maxmemory-policy noeviction
CONF
	redis-server "$dir/redis.conf" || return 1
	for i in $(seq 1 100); do
		redis-cli -p "$port" PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "redis.sh: Redis on port $port did not start (see $dir/redis.log)" >&2
	return 1
}

redis_stop() {
	local dir=$1 port=$2 how=${3:-}
	local pid
	pid=$(cat "$dir/redis.pid" 2>/dev/null) || return 0
	if [ "$how" = kill ]; then
		kill -9 "$pid" 2>/dev/null || true
	else
		redis-cli -p "$port" SHUTDOWN >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
	fi
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$dir/redis.pid"; return 0; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/redis.pid"
}

redis_url() {
	echo "redis://127.0.0.1:$1/0"
}

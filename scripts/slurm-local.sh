#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and for trying `--slurm` without a real cluster.
# Usage: scripts/slurm-local.sh start|stop|status|env [STATE_DIR]
#   start  installs slurmd, slurmctld, slurm-client and munge if missing, writes a slurm.conf for localhost under
#          STATE_DIR, starts munged, slurmctld and slurmd in the background and waits until the node is idle.
#   stop   stops the daemons this script started (by their PID files) and nothing else.
#   status prints the node state, or exits 1 when the cluster is not up.
#   env    prints the line that points Slurm's client commands at this cluster: eval "$(scripts/slurm-local.sh env)".
# STATE_DIR defaults to $AUTOCLASSIFY_SLURM_DIR or /tmp/autoclassify-slurm. Runs as root (no systemd needed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command="${1:-}"
state="${2:-${AUTOCLASSIFY_SLURM_DIR:-/tmp/autoclassify-slurm}}"
conf="$state/slurm.conf"

die() { echo "slurm-local: $*" >&2; exit 1; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { SLURM_CONF="$conf" timeout 5 sinfo -h -N -o %T 2>/dev/null | head -n1; }

write_conf() {
  local cpus memory
  cpus="$(nproc)"
  # Leave a quarter of the memory to the system, so that --mem requests are checked against something real.
  memory=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 3 / 4 / 1024 ))
  mkdir -p "$state/spool/ctld" "$state/spool/d" "$state/log"
  rm -f "$state/munged.pid"
  cat > "$conf" <<CONF
# Written by scripts/slurm-local.sh: a one-node cluster on localhost for tests.
ClusterName=autoclassify
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=${AUTOCLASSIFY_SLURMCTLD_PORT:-16817}
SlurmdPort=${AUTOCLASSIFY_SLURMD_PORT:-16818}
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=3600
MaxArraySize=10001
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1; then return; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null || true
  chmod 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --keyfile /etc/munge/munge.key >/dev/null
    else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  if command -v runuser >/dev/null; then runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  else /usr/sbin/munged --force --pid-file=/run/munge/munged.pid; fi
  # Only the state folder that started munged stops it: another cluster on this machine may share it.
  for _ in $(seq 50); do
    if munge -n </dev/null >/dev/null 2>&1; then cp /run/munge/munged.pid "$state/munged.pid" 2>/dev/null || true; return; fi
    sleep 0.1
  done
  die "munged did not start (see /var/log/munge/munged.log)"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "start needs root (it runs munged and the Slurm daemons)"
  "$root/scripts/install-deps.sh" --with-slurm >/dev/null
  if running "$state/slurmctld.pid" && running "$state/slurmd.pid" && [ "$(node_state)" = idle ]; then
    echo "slurm-local: already up ($conf)"; return
  fi
  stop_daemons
  write_conf
  start_munge
  SLURM_CONF="$conf" setsid /usr/sbin/slurmctld -D -i -f "$conf" >"$state/log/slurmctld.out" 2>&1 < /dev/null &
  echo $! > "$state/slurmctld.pid"
  SLURM_CONF="$conf" setsid /usr/sbin/slurmd -D -N localhost -f "$conf" >"$state/log/slurmd.out" 2>&1 < /dev/null &
  echo $! > "$state/slurmd.pid"
  for _ in $(seq 300); do
    case "$(node_state)" in
      idle|mixed|allocated) echo "slurm-local: up; $(env_line)"; return ;;
    esac
    running "$state/slurmctld.pid" || die "slurmctld exited: $(tail -n 5 "$state/log/slurmctld.out" "$state/log/slurmctld.log" 2>/dev/null)"
    running "$state/slurmd.pid" || die "slurmd exited: $(tail -n 5 "$state/log/slurmd.out" "$state/log/slurmd.log" 2>/dev/null)"
    sleep 0.1
  done
  die "the node did not become idle within 30 s (state '$(node_state)'); logs in $state/log"
}

stop_daemons() {
  for daemon in slurmd slurmctld munged; do
    local pidfile="$state/$daemon.pid"
    if running "$pidfile"; then
      local pid; pid="$(cat "$pidfile")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

env_line() { echo "export SLURM_CONF=$conf"; }

case "$command" in
  start) start ;;
  stop) stop_daemons; echo "slurm-local: stopped" ;;
  status) s="$(node_state)"; [ -n "$s" ] || { echo "slurm-local: down"; exit 1; }; echo "slurm-local: node $s ($conf)" ;;
  env) env_line ;;
  *) echo "usage: scripts/slurm-local.sh start|stop|status|env [STATE_DIR]" >&2; exit 2 ;;
esac

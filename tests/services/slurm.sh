#!/usr/bin/env bash
# A real single-node SLURM on this machine, for the HPC tests: installs Debian's slurm-wlm and munge when they are
# missing, writes a minimal /etc/slurm/slurm.conf (one node with this machine's CPUs and memory, one partition), and
# starts munged, slurmctld and slurmd. Idempotent: a SLURM that already answers is left as it is, and a slurm.conf
# that this script did not write is never replaced.
#
#   tests/services/slurm.sh [start]   install if needed, start, wait until the node takes jobs
#   tests/services/slurm.sh stop      stop the daemons this script starts
#
# Exit codes: 0 ready; 77 cannot run here (not root, or SLURM missing and no apt-get), with the reason on stderr;
# anything else is a real failure (the log files are named on stderr).
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARK="# written by hydride-screen tests/services/slurm.sh"
LOG_DIR=/var/log/slurm

cannot() { echo "slurm.sh: cannot run SLURM here: $*" >&2; exit 77; }

answers() { timeout 10 sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)'; }

install() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
    && command -v munged >/dev/null && return
  command -v apt-get >/dev/null || cannot "slurm-wlm is not installed and there is no apt-get to install it"
  echo "slurm.sh: installing slurm-wlm and munge (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2
}

write_conf() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    echo "slurm.sh: using the existing $CONF (not written by this script)" >&2
    return
  fi
  local node host
  node=$(slurmd -C | head -n 1)  # NodeName=... CPUs=... RealMemory=... as slurmd sees this machine
  host=$(hostname -s)
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$LOG_DIR"
  cat >"$CONF" <<EOF
$MARK
ClusterName=hydride-screen-tests
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  if pgrep -x munged >/dev/null; then return; fi
  [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || /usr/sbin/create-munge-key -f; }
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
}

start() {
  [ "$(id -u)" = 0 ] || { answers && exit 0; cannot "starting SLURM needs root (running as $(id -un))"; }
  if answers; then exit 0; fi
  install
  write_conf
  start_munge
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  local node
  node=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=([^ ]+).*/\1/')
  for _ in $(seq 1 60); do
    if answers; then exit 0; fi
    # a node that was down when slurmctld last saw it comes back only when told
    scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  echo "slurm.sh: SLURM did not come up in 30 s; see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log" >&2
  sinfo >&2 || true
  exit 1
}

stop() {
  local pidfile
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

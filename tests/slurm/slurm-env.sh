# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# A one-node Slurm inside the lab VM, for tests/slurm/*.t: munged, slurmctld
# and slurmd on localhost, every key, config, spool and log under $slurm_dir
# (the VM's /etc and /var are read-only).  Sourced; needs $slurm_dir, $plugin
# (cpool_spank.so), $cpool_socket and $slurm_cpus, the node's CPU count for
# Slurm: no more than the VS its steps use (docs/slurm.md).  slurm_up starts
# it, slurm_down stops it.

slurm_node=localhost

slurm_up() {
	mkdir -p "$slurm_dir"/{munge,ctld,spool} /run/munge
	chmod 0700 "$slurm_dir/munge"
	chmod 0755 /run/munge
	# Loopback and a name for the node: a fresh VM has neither.  Slurm
	# resolves with AI_ADDRCONFIG, which finds nothing while the only IPv4
	# address is 127.0.0.1: a second one on lo is enough.
	ip link set lo up
	ip addr add 10.254.0.1/32 dev lo
	hostname "$slurm_node"
	dd if=/dev/urandom of="$slurm_dir/munge/munge.key" bs=1024 count=1 status=none
	chmod 0400 "$slurm_dir/munge/munge.key"
	munged --force --key-file="$slurm_dir/munge/munge.key" \
		--log-file="$slurm_dir/munge/munged.log" \
		--pid-file="$slurm_dir/munge/munged.pid" \
		--seed-file="$slurm_dir/munge/munged.seed" || return 1
	cat >"$slurm_dir/plugstack.conf" <<PLUG
required $plugin socket=$cpool_socket
PLUG
	cat >"$slurm_dir/slurm.conf" <<CONF
ClusterName=cpoollab
SlurmctldHost=$slurm_node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$slurm_dir/ctld
SlurmdSpoolDir=$slurm_dir/spool
SlurmctldPidFile=$slurm_dir/slurmctld.pid
SlurmdPidFile=$slurm_dir/slurmd.pid
SlurmctldLogFile=$slurm_dir/slurmctld.log
SlurmdLogFile=$slurm_dir/slurmd.log
SlurmdDebug=verbose
PlugStackConfig=$slurm_dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
# The node's CPUs for Slurm are the VS's, not the machine's that slurmd detects.
SlurmdParameters=config_overrides
SlurmctldTimeout=300
SlurmdTimeout=300
MessageTimeout=60
KillWait=5
NodeName=$slurm_node NodeAddr=127.0.0.1 CPUs=$slurm_cpus State=UNKNOWN
PartitionName=lab Nodes=$slurm_node Default=YES MaxTime=INFINITE State=UP
CONF
	# slurmd 22.05 always loads a cgroup plugin; without systemd on D-Bus it
	# makes system.slice/NODE_slurmstepd.scope itself (system.slice must be there).  It makes no job cgroups
	# (proctrack/linuxproc, task/none): cpool's leaves are the only ones.
	mkdir -p /sys/fs/cgroup/system.slice
	cat >"$slurm_dir/cgroup.conf" <<CG
CgroupPlugin=cgroup/v2
IgnoreSystemd=yes
CG
	export SLURM_CONF=$slurm_dir/slurm.conf
	# What slurmd detects with the pool up (docs/slurm.md on config_overrides).
	echo "# slurmd -C: $(slurmd -C 2>&1 | head -1)"
	slurmctld -i || { echo "# slurmctld did not start"; return 1; }
	slurmd -N "$slurm_node" || { echo "# slurmd did not start"; return 1; }
	# Up when the node takes jobs: slurmd registered with slurmctld.
	for _ in $(seq 600); do
		case $(sinfo -h -n "$slurm_node" -o %t 2>/dev/null) in
		idle*) return 0 ;;
		esac
		sleep 0.5
	done
	return 1
}

slurm_down() {
	local f
	for f in slurmd slurmctld; do
		[ -s "$slurm_dir/$f.pid" ] && kill "$(cat "$slurm_dir/$f.pid")" 2>/dev/null
	done
	[ -s "$slurm_dir/munge/munged.pid" ] && kill "$(cat "$slurm_dir/munge/munged.pid")" 2>/dev/null
	sleep 1
}

slurm_logs() {
	local f
	for f in "$slurm_dir"/slurmctld.log "$slurm_dir"/slurmd.log "$slurm_dir"/munge/munged.log; do
		[ -f "$f" ] || continue
		echo "# ---- $f"
		tail -n 40 "$f" | sed 's/^/# /'
	done
}

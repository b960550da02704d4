# test/lib.sh: set-up shared by test/run, test/demo and test/bench/run.
#
# It installs the Debian packages cdp needs when they are missing, copies the
# source tree to a private work directory owned by a non-root user, builds
# cdp there with warnings as errors, installs it into a private copy of the
# PostgreSQL installation (the system's own installation is never touched)
# and starts a throw-away cluster that listens only on a Unix socket inside
# the work directory.  Source it, then call the cdp_* functions in order.

set -euo pipefail

CDP_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CDP_PG_MAJOR=${CDP_PG_MAJOR:-15}
CDP_PACKAGES=(
	"postgresql-$CDP_PG_MAJOR" "postgresql-server-dev-$CDP_PG_MAJOR" libicu-dev pkg-config
	make gcc perl libipc-run-perl "postgresql-$CDP_PG_MAJOR-similarity"
)

cdp_log()
{
	printf '== %s\n' "$*" >&2
}

cdp_die()
{
	printf 'error: %s\n' "$*" >&2
	exit 2
}

# Install the Debian packages that are missing (as root, or through sudo).
cdp_install_packages()
{
	local missing=() pkg status
	for pkg in "${CDP_PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0

	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			cdp_die "missing packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
		fi
	fi
	cdp_log "installing ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
}

# The cluster runs as a non-root user: the caller, or (for root) CDP_TEST_USER,
# by default the "postgres" account that the Debian packages create.
cdp_choose_user()
{
	if [[ $(id -u) -eq 0 ]]; then
		CDP_USER=${CDP_TEST_USER:-postgres}
		id "$CDP_USER" >/dev/null 2>&1 || cdp_die "user $CDP_USER does not exist (set CDP_TEST_USER)"
	else
		CDP_USER=$(id -un)
	fi
}

# Run a command as the cluster's user, with the private installation first
# on PATH.
cdp_as_user()
{
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u "$CDP_USER" -- env PATH="$CDP_BINDIR:$PATH" HOME="$CDP_WORK" "$@"
	else
		env PATH="$CDP_BINDIR:$PATH" "$@"
	fi
}

# Copy the source tree (what git tracks, plus untracked files it does not
# ignore) into a fresh work directory.
cdp_prepare_workdir()
{
	CDP_WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdp.XXXXXX")
	trap cdp_cleanup EXIT
	chmod 755 "$CDP_WORK"
	mkdir -p "$CDP_WORK/src"
	if git -C "$CDP_SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$CDP_SRC" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			tar --null -T - -cf -) | tar -C "$CDP_WORK/src" -xf -
	else
		(cd "$CDP_SRC" && tar --exclude=.git -cf - .) | tar -C "$CDP_WORK/src" -xf -
	fi
	[[ $(id -u) -eq 0 ]] && chown -R "$CDP_USER" "$CDP_WORK"
	return 0
}

# A private copy of the PostgreSQL installation: binaries copied (the server
# finds its share and lib directories relative to its own binary), the rest
# linked, cdp installed into it with DESTDIR.
cdp_private_install()
{
	local pg_config bindir libdir sharedir inst
	pg_config=${PG_CONFIG:-/usr/lib/postgresql/$CDP_PG_MAJOR/bin/pg_config}
	[[ -x $pg_config ]] || pg_config=$(command -v pg_config)
	bindir=$("$pg_config" --bindir)
	libdir=$("$pg_config" --pkglibdir)
	sharedir=$("$pg_config" --sharedir)
	inst="$CDP_WORK/inst"
	CDP_PG_CONFIG=$pg_config

	mkdir -p "$inst$(dirname "$bindir")" "$inst$(dirname "$libdir")" "$inst$(dirname "$sharedir")"
	cp -a "$bindir" "$inst$bindir"
	[[ -e $inst$libdir ]] || cp -rs "$libdir" "$inst$libdir"
	[[ -e $inst$sharedir ]] || cp -rs "$sharedir" "$inst$sharedir"
	rm -f "$inst$libdir/cdp.so" "$inst$sharedir/extension/cdp.control" "$inst$sharedir"/extension/cdp--*.sql
	rm -rf "$inst$libdir/bitcode/cdp" "$inst$libdir/bitcode/cdp.index.bc"
	[[ $(id -u) -eq 0 ]] && chown -R "$CDP_USER" "$inst"
	CDP_BINDIR="$inst$bindir"
	CDP_PGXS_DIR=$(dirname "$("$pg_config" --pgxs)")/..

	cdp_log "building cdp (warnings are errors)"
	cdp_as_user make -C "$CDP_WORK/src" -s -j"$(nproc)" PG_CONFIG="$pg_config" COPT="-Werror" >&2
	cdp_as_user make -C "$CDP_WORK/src" -s PG_CONFIG="$pg_config" DESTDIR="$inst" install >&2
}

# Start a throw-away cluster on a Unix socket inside the work directory.
cdp_start_cluster()
{
	CDP_SOCKET="$CDP_WORK/socket"
	CDP_PGDATA="$CDP_WORK/data"
	CDP_PORT=${CDP_PORT:-54329}
	mkdir -p "$CDP_SOCKET"
	[[ $(id -u) -eq 0 ]] && chown "$CDP_USER" "$CDP_SOCKET"
	cdp_log "starting a throw-away cluster in $CDP_WORK"
	cdp_as_user initdb -D "$CDP_PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		--no-instructions >"$CDP_WORK/initdb.log" 2>&1 ||
		{ cat "$CDP_WORK/initdb.log" >&2; cdp_die "initdb failed"; }
	cat >>"$CDP_PGDATA/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$CDP_SOCKET'
		port = $CDP_PORT
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 256MB
		max_connections = 40
		max_prepared_transactions = 10
		log_min_messages = warning
		lc_messages = 'C'
	EOF
	cdp_as_user pg_ctl -D "$CDP_PGDATA" -l "$CDP_WORK/server.log" -w -t 60 start >/dev/null ||
		{ cat "$CDP_WORK/server.log" >&2; cdp_die "the server did not start"; }
	export PGHOST="$CDP_SOCKET" PGPORT="$CDP_PORT" PGUSER=postgres
}

cdp_psql()
{
	cdp_as_user env PGHOST="$CDP_SOCKET" PGPORT="$CDP_PORT" PGUSER=postgres \
		psql -X -v ON_ERROR_STOP=1 "$@"
}

# Run one benchmark file against the database "bench" at the given scale.
bench_one()
{
	local f=$1 scale=$2
	case $f in
		*.sql) cdp_psql -d bench -v scale="$scale" -f "$f" ;;
		*.sh) cdp_as_user env PGHOST="$CDP_SOCKET" PGPORT="$CDP_PORT" PGUSER=postgres PGDATABASE=bench \
				BENCH_SCALE="$scale" CDP_SRC_DIR="$CDP_WORK/src" bash "$f" ;;
	esac
}

cdp_cleanup()
{
	local rc=$?
	if [[ -n ${CDP_PGDATA:-} && -f $CDP_PGDATA/postmaster.pid && ${CDP_LEAVE_RUNNING:-0} != 1 ]]; then
		cdp_as_user pg_ctl -D "$CDP_PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [[ ${CDP_KEEP:-0} == 1 || $rc -ne 0 && ${CDP_KEEP_ON_FAILURE:-1} == 1 ]]; then
		cdp_log "work directory kept: $CDP_WORK"
	elif [[ -n ${CDP_WORK:-} ]]; then
		rm -rf "$CDP_WORK"
	fi
	exit "$rc"
}

# Everything above, in order.
cdp_setup()
{
	cdp_install_packages
	cdp_choose_user
	cdp_prepare_workdir
	cdp_private_install
	cdp_start_cluster
}

#!/bin/sh
# The container's main process: `policybot run`, except that a configuration error
# (exit status 2) does not end the container. Docker's restart policies cannot say
# "restart on failure, but not on status 2": with `unless-stopped` a wrong token would
# restart forever. So after status 2 this script prints why and waits, the container
# shows as unhealthy, and `docker stop` ends it with status 2. Any other status is
# passed on, and Docker restarts as its policy says.
set -u

# The trap is set before the bot starts: a stop that arrives while it is starting must
# still reach it (set after, such a stop ended this script and left the bot running).
child=
stopping=0
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
policybot "$@" &
child=$!
[ "$stopping" -eq 0 ] || kill -TERM "$child" 2>/dev/null
while :; do
    wait "$child"
    status=$?
    # `wait` also returns when a trapped signal arrives; go on until the bot has exited.
    kill -0 "$child" 2>/dev/null || break
done

if [ "$status" -ne 2 ]; then
    exit "$status"
fi
trap 'exit 2' TERM INT
echo "policybot: configuration error (exit status 2, see above); not restarting." \
    "Fix the environment, then recreate or restart the container." >&2
while :; do
    sleep 3600 &
    wait $!
done

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_skiff_global_optspecs
    string join \n root= runroot= h/help V/version
end

function __fish_skiff_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_skiff_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_skiff_using_subcommand
    set -l cmd (__fish_skiff_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c skiff -n "__fish_skiff_needs_command" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_needs_command" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_needs_command" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_needs_command" -s V -l version -d 'Print version'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "run" -d 'Run a command in a new container'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "create" -d 'Create a new container, to be started later'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "ps" -d 'List containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "logs" -d 'Fetch the logs of a container'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "start" -d 'Start stopped containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "stop" -d 'Stop running containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "restart" -d 'Restart containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "kill" -d 'Send a signal to running containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "rm" -d 'Remove containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "exec" -d 'Run a command in a running container'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "attach" -d 'Attach to a running container\'s input and output (detach with ctrl-p ctrl-q)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "wait" -d 'Block until containers stop, then print their exit codes'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "pause" -d 'Pause all processes within containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "unpause" -d 'Unpause all processes within containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "top" -d 'Display the running processes of a container'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "rename" -d 'Rename a container'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "stats" -d 'Display resource usage of containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "update" -d 'Update the configuration of containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "port" -d 'List port mappings or a specific mapping for the container'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "container" -d 'Manage containers'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "events" -d 'Show events from containers and images'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "commit" -d 'Create a new image from a container\'s changes'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "diff" -d 'Inspect changes to files or directories on a container\'s filesystem'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "history" -d 'Show the history of an image'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "save" -d 'Save images to a tar archive (standard output by default)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "export" -d 'Export a container\'s filesystem as a tar archive'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "cp" -d 'Copy files between a container and the local filesystem'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "build" -d 'Build an image from a Dockerfile'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "compose" -d 'Define and run multi-container applications from compose files'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "builder" -d 'Manage the build cache'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "images" -d 'List images'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "load" -d 'Load images from a tar archive (docker save, podman save or OCI layout)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "import" -d 'Create an image from a root filesystem tarball'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "tag" -d 'Give an image another name'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "rmi" -d 'Remove images'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "inspect" -d 'Show low-level information about containers and images'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "image" -d 'Manage images'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "pull" -d 'Download an image from a registry'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "push" -d 'Upload an image to a registry'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "search" -d 'Search a registry for images'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "login" -d 'Log in to a registry'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "logout" -d 'Log out from a registry'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "volume" -d 'Manage volumes'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "network" -d 'Manage networks'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "system" -d 'Manage skiff: disk usage, information, events'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "version" -d 'Show the skiff version'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "info" -d 'Show system-wide information'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__supervise" -d 'The detached supervisor of one container (started by skiff itself)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__supervise-exec" -d 'The supervisor of one process `exec -it` started (started by skiff itself)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__network-holder" -d 'The holder of one user-defined network (started by skiff itself)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__generate-docs" -d 'Regenerate the repository\'s completions/ and man/ (for skiff\'s developers)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__create" -d 'Create a container of the run options given as JSON on stdin (run by the API service)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__start-for-client" -d 'Start a container whose output waits for a client to attach (run by the API service)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__prune" -d 'Prune one kind of object, printing what went as JSON (run by the API service)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__path-stat" -d 'Print docker\'s stat of a path in a container as JSON (run by the API service)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "__parse-dockerfile" -d 'Show how skiff reads a Dockerfile: stages and instructions as JSON (for debugging builds)'
complete -c skiff -n "__fish_skiff_using_subcommand run" -s a -l attach -d 'Attach to STDIN, STDOUT or STDERR (repeatable; stdout and stderr when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l sig-proxy -d 'Proxy received signals to the process (ignored with a terminal)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand run" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l name -d 'Assign a name to the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cidfile -d 'Write the container ID to the file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand run" -s e -l env -d 'Set environment variables (KEY=VALUE, or KEY to take it from skiff\'s environment)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l env-file -d 'Read environment variables from a file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s u -l user -d 'Username or UID, optionally with a group (name|uid[:group|gid])' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l group-add -d 'Add additional groups to join' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s h -l hostname -d 'Container host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l entrypoint -d 'Overwrite the default ENTRYPOINT of the image' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s v -l volume -d 'Bind mount a host path or mount a volume ([/host/path|NAME:]/container/path[:ro]); a path alone gets a new anonymous volume' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l mount -d 'Attach a filesystem mount (type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size=, tmpfs-mode=,volume-opt=,volume-label=,volume-nocopy)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l volumes-from -d 'Mount the volumes and binds of another container at the same paths' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l tmpfs -d 'Mount a tmpfs directory (/path[:options])' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l network -d 'Connect the container to a network: the default user-mode network (bridge, also called slirp4netns or pasta, with options such as slirp4netns:allow_host_loopback=true,mtu=N), none, host or container:NAME' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cap-add -d 'Add Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cap-drop -d 'Drop Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l security-opt -d 'Security options (seccomp=unconfined|PROFILE.json, no-new-privileges)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s l -l label -d 'Set metadata on the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l label-file -d 'Read labels from a file of KEY=VALUE lines' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand run" -l annotation -d 'Add an annotation to the container (passed through to the runtime)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l ulimit -d 'Ulimit options (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l shm-size -d 'Size of /dev/shm (64m when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l sysctl -d 'Sysctl options of the container\'s own namespaces (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l oom-score-adj -d 'Tune the container\'s OOM preference (-1000 to 1000)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l domainname -d 'Container NIS domain name' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l expose -d 'Expose a port or a range of ports' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l kernel-memory -d 'Kernel memory limit (deprecated: ignored)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l ipc -d 'IPC namespace: private (the default), shareable (others may join it), none (no /dev/shm), host, or container:NAME to join a shareable container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l pid -d 'PID namespace: host, or container:NAME to join another container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l uts -d 'UTS namespace: host to keep the host\'s host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l userns -d 'User namespace: host (as root: no user namespace; rootless: the default, the only one an unprivileged user\'s containers can have), or keep-id (rootless: your uid and gid are themselves in the container, which runs as them; as root: the default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l restart -d 'Restart policy: no, on-failure[:max-retries], always, unless-stopped' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cpus -d 'Number of CPUs' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l memory-reservation -d 'Memory soft limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l pids-limit -d 'Tune container pids limit (set -1 for unlimited)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l blkio-weight -d 'Block IO (relative weight), between 10 and 1000' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cgroup-parent -d 'Optional parent cgroup for the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l cgroupns -d 'Cgroup namespace to use: host, or private (its own; the default on cgroup v2)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l device-cgroup-rule -d 'Add a rule to the cgroup allowed devices list (TYPE MAJOR:MINOR ACCESS: \'c 1:3 rwm\')' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l device -d 'Add a host device to the container (HOST[:CONTAINER][:rwm])' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l log-driver -d 'Logging driver: json-file, local or none' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l log-opt -d 'Log driver options (max-size, max-file)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l health-cmd -d 'Command to run to check health' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l health-interval -d 'Time between running the check (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l health-timeout -d 'Maximum time to allow one check to run (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l health-start-period -d 'Start period for the container to initialize before failures count (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l health-start-interval -d 'Time between checks during the start period (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l health-retries -d 'Consecutive failures needed to report unhealthy' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l stop-signal -d 'Signal to stop the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l stop-timeout -d 'Timeout (in seconds) to stop a container' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -s p -l publish -d 'Publish a container\'s port(s) to the host ([ip:][hostPort:]containerPort[/tcp|udp], ranges as 8000-8010:80-90)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l dns -d 'Set custom DNS servers' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l dns-search -d 'Set custom DNS search domains' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l dns-option -d 'Set DNS options' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l add-host -d 'Add a custom host-to-IP mapping (host:ip, or host:host-gateway for the host)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l network-alias -d 'Add a name for the container on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l ip -d 'The container\'s IPv4 address on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l mac-address -d 'The container\'s MAC address on its user-defined network (92:d0:c6:0a:29:33)' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l link -d 'Link to another container: its address under ALIAS in /etc/hosts and its ports in the environment (NAME_PORT_80_TCP=...), as docker\'s legacy links' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l pull -d 'Pull the image from its registry: missing (when not stored), always, never' -r -f -a "missing\t'Only when the image is not in the store'
always\t'Every time (the registry\'s newer image replaces the local one)'
never\t'Never: a missing image is an error'"
complete -c skiff -n "__fish_skiff_using_subcommand run" -l platform -d 'Run the image of this platform (os/arch[/variant]): one stored for another platform is pulled anew; one this machine cannot execute is refused' -r
complete -c skiff -n "__fish_skiff_using_subcommand run" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand run" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand run" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand run" -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand run" -s d -l detach -d 'Run the container in the background and print its ID'
complete -c skiff -n "__fish_skiff_using_subcommand run" -l rm -d 'Remove the container when it exits'
complete -c skiff -n "__fish_skiff_using_subcommand run" -s i -l interactive -d 'Keep standard input open'
complete -c skiff -n "__fish_skiff_using_subcommand run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c skiff -n "__fish_skiff_using_subcommand run" -l read-only -d 'Mount the container\'s root filesystem as read only'
complete -c skiff -n "__fish_skiff_using_subcommand run" -l init -d 'Run an init inside the container that forwards signals and reaps processes'
complete -c skiff -n "__fish_skiff_using_subcommand run" -l privileged -d 'Give extended privileges to this container'
complete -c skiff -n "__fish_skiff_using_subcommand run" -l oom-kill-disable -d 'Disable OOM Killer'
complete -c skiff -n "__fish_skiff_using_subcommand run" -l no-healthcheck -d 'Disable any container-specified HEALTHCHECK'
complete -c skiff -n "__fish_skiff_using_subcommand run" -s P -l publish-all -d 'Publish all exposed ports to random ports'
complete -c skiff -n "__fish_skiff_using_subcommand run" -s q -l quiet -d 'Suppress the pull output'
complete -c skiff -n "__fish_skiff_using_subcommand create" -s a -l attach -d 'Attach to STDIN, STDOUT or STDERR (repeatable; stdout and stderr when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l sig-proxy -d 'Proxy received signals to the process (ignored with a terminal)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand create" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l name -d 'Assign a name to the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cidfile -d 'Write the container ID to the file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand create" -s e -l env -d 'Set environment variables (KEY=VALUE, or KEY to take it from skiff\'s environment)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l env-file -d 'Read environment variables from a file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand create" -s w -l workdir -d 'Working directory inside the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s u -l user -d 'Username or UID, optionally with a group (name|uid[:group|gid])' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l group-add -d 'Add additional groups to join' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s h -l hostname -d 'Container host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l entrypoint -d 'Overwrite the default ENTRYPOINT of the image' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s v -l volume -d 'Bind mount a host path or mount a volume ([/host/path|NAME:]/container/path[:ro]); a path alone gets a new anonymous volume' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l mount -d 'Attach a filesystem mount (type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size=, tmpfs-mode=,volume-opt=,volume-label=,volume-nocopy)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l volumes-from -d 'Mount the volumes and binds of another container at the same paths' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l tmpfs -d 'Mount a tmpfs directory (/path[:options])' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l network -d 'Connect the container to a network: the default user-mode network (bridge, also called slirp4netns or pasta, with options such as slirp4netns:allow_host_loopback=true,mtu=N), none, host or container:NAME' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cap-add -d 'Add Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cap-drop -d 'Drop Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l security-opt -d 'Security options (seccomp=unconfined|PROFILE.json, no-new-privileges)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s l -l label -d 'Set metadata on the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l label-file -d 'Read labels from a file of KEY=VALUE lines' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand create" -l annotation -d 'Add an annotation to the container (passed through to the runtime)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l ulimit -d 'Ulimit options (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l shm-size -d 'Size of /dev/shm (64m when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l sysctl -d 'Sysctl options of the container\'s own namespaces (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l oom-score-adj -d 'Tune the container\'s OOM preference (-1000 to 1000)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l domainname -d 'Container NIS domain name' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l expose -d 'Expose a port or a range of ports' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l kernel-memory -d 'Kernel memory limit (deprecated: ignored)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l ipc -d 'IPC namespace: private (the default), shareable (others may join it), none (no /dev/shm), host, or container:NAME to join a shareable container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l pid -d 'PID namespace: host, or container:NAME to join another container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l uts -d 'UTS namespace: host to keep the host\'s host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l userns -d 'User namespace: host (as root: no user namespace; rootless: the default, the only one an unprivileged user\'s containers can have), or keep-id (rootless: your uid and gid are themselves in the container, which runs as them; as root: the default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l restart -d 'Restart policy: no, on-failure[:max-retries], always, unless-stopped' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cpus -d 'Number of CPUs' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l memory-reservation -d 'Memory soft limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l pids-limit -d 'Tune container pids limit (set -1 for unlimited)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l blkio-weight -d 'Block IO (relative weight), between 10 and 1000' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cgroup-parent -d 'Optional parent cgroup for the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l cgroupns -d 'Cgroup namespace to use: host, or private (its own; the default on cgroup v2)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l device-cgroup-rule -d 'Add a rule to the cgroup allowed devices list (TYPE MAJOR:MINOR ACCESS: \'c 1:3 rwm\')' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l device -d 'Add a host device to the container (HOST[:CONTAINER][:rwm])' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l log-driver -d 'Logging driver: json-file, local or none' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l log-opt -d 'Log driver options (max-size, max-file)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l health-cmd -d 'Command to run to check health' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l health-interval -d 'Time between running the check (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l health-timeout -d 'Maximum time to allow one check to run (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l health-start-period -d 'Start period for the container to initialize before failures count (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l health-start-interval -d 'Time between checks during the start period (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l health-retries -d 'Consecutive failures needed to report unhealthy' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l stop-signal -d 'Signal to stop the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l stop-timeout -d 'Timeout (in seconds) to stop a container' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -s p -l publish -d 'Publish a container\'s port(s) to the host ([ip:][hostPort:]containerPort[/tcp|udp], ranges as 8000-8010:80-90)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l dns -d 'Set custom DNS servers' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l dns-search -d 'Set custom DNS search domains' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l dns-option -d 'Set DNS options' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l add-host -d 'Add a custom host-to-IP mapping (host:ip, or host:host-gateway for the host)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l network-alias -d 'Add a name for the container on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l ip -d 'The container\'s IPv4 address on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l mac-address -d 'The container\'s MAC address on its user-defined network (92:d0:c6:0a:29:33)' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l link -d 'Link to another container: its address under ALIAS in /etc/hosts and its ports in the environment (NAME_PORT_80_TCP=...), as docker\'s legacy links' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l pull -d 'Pull the image from its registry: missing (when not stored), always, never' -r -f -a "missing\t'Only when the image is not in the store'
always\t'Every time (the registry\'s newer image replaces the local one)'
never\t'Never: a missing image is an error'"
complete -c skiff -n "__fish_skiff_using_subcommand create" -l platform -d 'Run the image of this platform (os/arch[/variant]): one stored for another platform is pulled anew; one this machine cannot execute is refused' -r
complete -c skiff -n "__fish_skiff_using_subcommand create" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand create" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand create" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand create" -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand create" -s d -l detach -d 'Run the container in the background and print its ID'
complete -c skiff -n "__fish_skiff_using_subcommand create" -l rm -d 'Remove the container when it exits'
complete -c skiff -n "__fish_skiff_using_subcommand create" -s i -l interactive -d 'Keep standard input open'
complete -c skiff -n "__fish_skiff_using_subcommand create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c skiff -n "__fish_skiff_using_subcommand create" -l read-only -d 'Mount the container\'s root filesystem as read only'
complete -c skiff -n "__fish_skiff_using_subcommand create" -l init -d 'Run an init inside the container that forwards signals and reaps processes'
complete -c skiff -n "__fish_skiff_using_subcommand create" -l privileged -d 'Give extended privileges to this container'
complete -c skiff -n "__fish_skiff_using_subcommand create" -l oom-kill-disable -d 'Disable OOM Killer'
complete -c skiff -n "__fish_skiff_using_subcommand create" -l no-healthcheck -d 'Disable any container-specified HEALTHCHECK'
complete -c skiff -n "__fish_skiff_using_subcommand create" -s P -l publish-all -d 'Publish all exposed ports to random ports'
complete -c skiff -n "__fish_skiff_using_subcommand create" -s q -l quiet -d 'Suppress the pull output'
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s n -l last -d 'Show n last created containers (includes all states)' -r
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s f -l filter -d 'Filter output: status=, name=, id=, ancestor=, label=, exited=, before=, since=, restart-policy=' -r
complete -c skiff -n "__fish_skiff_using_subcommand ps" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand ps" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand ps" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s a -l all -d 'Show all containers (default shows just running)'
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s q -l quiet -d 'Only display container IDs'
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s l -l latest -d 'Show the latest created container (includes all states)'
complete -c skiff -n "__fish_skiff_using_subcommand ps" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s s -l size -d 'Display total file sizes'
complete -c skiff -n "__fish_skiff_using_subcommand ps" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand logs" -s n -l tail -d 'Number of lines to show from the end of the logs ("all" for all)' -r
complete -c skiff -n "__fish_skiff_using_subcommand logs" -l since -d 'Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)' -r
complete -c skiff -n "__fish_skiff_using_subcommand logs" -l until -d 'Show logs before a timestamp or relative time' -r
complete -c skiff -n "__fish_skiff_using_subcommand logs" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logs" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logs" -s f -l follow -d 'Follow log output'
complete -c skiff -n "__fish_skiff_using_subcommand logs" -s t -l timestamps -d 'Show timestamps'
complete -c skiff -n "__fish_skiff_using_subcommand logs" -l details -d 'Show extra details (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand logs" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand start" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand start" -l filter -d 'Filter for --all, as in ps (e.g. restart-policy=always)' -r
complete -c skiff -n "__fish_skiff_using_subcommand start" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand start" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand start" -s a -l attach -d 'Attach STDOUT/STDERR and forward signals'
complete -c skiff -n "__fish_skiff_using_subcommand start" -s i -l interactive -d 'Attach the container\'s STDIN'
complete -c skiff -n "__fish_skiff_using_subcommand start" -l all -d 'Start every container that matches the filters (for bringing containers back after a reboot)'
complete -c skiff -n "__fish_skiff_using_subcommand start" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand stop" -s t -l time -l timeout -d 'Seconds to wait before killing the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand stop" -s s -l signal -d 'Signal to send instead of the container\'s stop signal' -r
complete -c skiff -n "__fish_skiff_using_subcommand stop" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand stop" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand stop" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand restart" -s t -l time -l timeout -d 'Seconds to wait before killing the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand restart" -s s -l signal -d 'Signal to send instead of the container\'s stop signal' -r
complete -c skiff -n "__fish_skiff_using_subcommand restart" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand restart" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand restart" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand kill" -s s -l signal -d 'Signal to send to the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand kill" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand kill" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand kill" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand rm" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand rm" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand rm" -s f -l force -d 'Force the removal of a running container (uses SIGKILL)'
complete -c skiff -n "__fish_skiff_using_subcommand rm" -s v -l volumes -d 'Remove anonymous volumes associated with the container'
complete -c skiff -n "__fish_skiff_using_subcommand rm" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s e -l env -d 'Set environment variables' -r
complete -c skiff -n "__fish_skiff_using_subcommand exec" -l env-file -d 'Read environment variables from a file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s w -l workdir -d 'Working directory inside the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s u -l user -d 'Username or UID (name|uid[:group|gid])' -r
complete -c skiff -n "__fish_skiff_using_subcommand exec" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand exec" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand exec" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s d -l detach -d 'Detached mode: run the command in the background'
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s i -l interactive -d 'Keep STDIN open'
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s t -l tty -d 'Allocate a pseudo-TTY'
complete -c skiff -n "__fish_skiff_using_subcommand exec" -l privileged -d 'Give extended privileges to the command'
complete -c skiff -n "__fish_skiff_using_subcommand exec" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand attach" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand attach" -l sig-proxy -d 'Proxy all received signals to the process' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand attach" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand attach" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand attach" -l no-stdin -d 'Do not attach STDIN'
complete -c skiff -n "__fish_skiff_using_subcommand attach" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand wait" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand wait" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand wait" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand pause" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand pause" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand pause" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand unpause" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand unpause" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand unpause" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand top" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand top" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand top" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand rename" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand rename" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand rename" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand stats" -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand stats" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand stats" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand stats" -s a -l all -d 'Show all containers (default shows just running)'
complete -c skiff -n "__fish_skiff_using_subcommand stats" -l no-stream -d 'Print one sample and exit'
complete -c skiff -n "__fish_skiff_using_subcommand stats" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand stats" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand update" -l restart -d 'Restart policy to apply when a container exits' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l cpus -d 'Number of CPUs' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l memory-reservation -d 'Memory soft limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l pids-limit -d 'Tune container pids limit (set -1 for unlimited)' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l blkio-weight -d 'Block IO (relative weight), between 10 and 1000' -r
complete -c skiff -n "__fish_skiff_using_subcommand update" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand update" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand update" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand port" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand port" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand port" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "ls" -d 'List containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "ps" -d 'List containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "list" -d 'List containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "rm" -d 'Remove containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "prune" -d 'Remove all stopped containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "inspect" -d 'Show low-level information about containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "logs" -d 'Fetch the logs of a container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "start" -d 'Start stopped containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "stop" -d 'Stop running containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "restart" -d 'Restart containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "kill" -d 'Send a signal to running containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "exec" -d 'Run a command in a running container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "attach" -d 'Attach to a running container\'s input and output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "wait" -d 'Block until containers stop, then print their exit codes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "pause" -d 'Pause all processes within containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "unpause" -d 'Unpause all processes within containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "top" -d 'Display the running processes of a container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "rename" -d 'Rename a container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "stats" -d 'Display resource usage of containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "update" -d 'Update the configuration of containers'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "port" -d 'List port mappings or a specific mapping for the container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "run" -d 'Run a command in a new container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "create" -d 'Create a new container, to be started later'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "commit" -d 'Create a new image from a container\'s changes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "cp" -d 'Copy files between a container and the local filesystem'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "diff" -d 'Inspect changes to files or directories on a container\'s filesystem'
complete -c skiff -n "__fish_skiff_using_subcommand container; and not __fish_seen_subcommand_from ls ps list rm prune inspect logs start stop restart kill exec attach wait pause unpause top rename stats update port run create commit cp diff export" -f -a "export" -d 'Export a container\'s filesystem as a tar archive'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s n -l last -d 'Show n last created containers (includes all states)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter output: status=, name=, id=, ancestor=, label=, exited=, before=, since=, restart-policy=' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show all containers (default shows just running)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Only display container IDs'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s l -l latest -d 'Show the latest created container (includes all states)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s s -l size -d 'Display total file sizes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s n -l last -d 'Show n last created containers (includes all states)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s f -l filter -d 'Filter output: status=, name=, id=, ancestor=, label=, exited=, before=, since=, restart-policy=' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s a -l all -d 'Show all containers (default shows just running)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s q -l quiet -d 'Only display container IDs'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s l -l latest -d 'Show the latest created container (includes all states)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s s -l size -d 'Display total file sizes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from ps" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s n -l last -d 'Show n last created containers (includes all states)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter output: status=, name=, id=, ancestor=, label=, exited=, before=, since=, restart-policy=' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s a -l all -d 'Show all containers (default shows just running)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only display container IDs'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s l -l latest -d 'Show the latest created container (includes all states)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s s -l size -d 'Display total file sizes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rm" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rm" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rm" -s f -l force -d 'Force the removal of a running container (uses SIGKILL)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rm" -s v -l volumes -d 'Remove anonymous volumes associated with the container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from prune" -l filter -d 'Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not prompt for confirmation'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from inspect" -l type -d 'Only look for objects of this type (container, image)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from inspect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from inspect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from inspect" -s s -l size -d 'Display total file sizes (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -s n -l tail -d 'Number of lines to show from the end of the logs ("all" for all)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -l since -d 'Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -l until -d 'Show logs before a timestamp or relative time' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -s f -l follow -d 'Follow log output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -s t -l timestamps -d 'Show timestamps'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -l details -d 'Show extra details (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -l filter -d 'Filter for --all, as in ps (e.g. restart-policy=always)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -s a -l attach -d 'Attach STDOUT/STDERR and forward signals'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -s i -l interactive -d 'Attach the container\'s STDIN'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -l all -d 'Start every container that matches the filters (for bringing containers back after a reboot)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stop" -s t -l time -l timeout -d 'Seconds to wait before killing the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stop" -s s -l signal -d 'Signal to send instead of the container\'s stop signal' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stop" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stop" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from restart" -s t -l time -l timeout -d 'Seconds to wait before killing the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from restart" -s s -l signal -d 'Signal to send instead of the container\'s stop signal' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from restart" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from restart" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from kill" -s s -l signal -d 'Signal to send to the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from kill" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from kill" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from kill" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s e -l env -d 'Set environment variables' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -l env-file -d 'Read environment variables from a file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s w -l workdir -d 'Working directory inside the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s u -l user -d 'Username or UID (name|uid[:group|gid])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s d -l detach -d 'Detached mode: run the command in the background'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s i -l interactive -d 'Keep STDIN open'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s t -l tty -d 'Allocate a pseudo-TTY'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -l privileged -d 'Give extended privileges to the command'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from exec" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from attach" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from attach" -l sig-proxy -d 'Proxy all received signals to the process' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from attach" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from attach" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from attach" -l no-stdin -d 'Do not attach STDIN'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from attach" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from wait" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from wait" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from pause" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from pause" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from unpause" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from unpause" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from unpause" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from top" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from top" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from top" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rename" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rename" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -s a -l all -d 'Show all containers (default shows just running)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -l no-stream -d 'Print one sample and exit'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l restart -d 'Restart policy to apply when a container exits' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l cpus -d 'Number of CPUs' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l memory-reservation -d 'Memory soft limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l pids-limit -d 'Tune container pids limit (set -1 for unlimited)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l blkio-weight -d 'Block IO (relative weight), between 10 and 1000' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from port" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from port" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from port" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s a -l attach -d 'Attach to STDIN, STDOUT or STDERR (repeatable; stdout and stderr when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l sig-proxy -d 'Proxy received signals to the process (ignored with a terminal)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l name -d 'Assign a name to the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cidfile -d 'Write the container ID to the file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s e -l env -d 'Set environment variables (KEY=VALUE, or KEY to take it from skiff\'s environment)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l env-file -d 'Read environment variables from a file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s u -l user -d 'Username or UID, optionally with a group (name|uid[:group|gid])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l group-add -d 'Add additional groups to join' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s h -l hostname -d 'Container host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l entrypoint -d 'Overwrite the default ENTRYPOINT of the image' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s v -l volume -d 'Bind mount a host path or mount a volume ([/host/path|NAME:]/container/path[:ro]); a path alone gets a new anonymous volume' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l mount -d 'Attach a filesystem mount (type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size=, tmpfs-mode=,volume-opt=,volume-label=,volume-nocopy)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l volumes-from -d 'Mount the volumes and binds of another container at the same paths' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l tmpfs -d 'Mount a tmpfs directory (/path[:options])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l network -d 'Connect the container to a network: the default user-mode network (bridge, also called slirp4netns or pasta, with options such as slirp4netns:allow_host_loopback=true,mtu=N), none, host or container:NAME' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-add -d 'Add Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-drop -d 'Drop Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l security-opt -d 'Security options (seccomp=unconfined|PROFILE.json, no-new-privileges)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s l -l label -d 'Set metadata on the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l label-file -d 'Read labels from a file of KEY=VALUE lines' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l annotation -d 'Add an annotation to the container (passed through to the runtime)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l ulimit -d 'Ulimit options (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l shm-size -d 'Size of /dev/shm (64m when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l sysctl -d 'Sysctl options of the container\'s own namespaces (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l oom-score-adj -d 'Tune the container\'s OOM preference (-1000 to 1000)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l domainname -d 'Container NIS domain name' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l expose -d 'Expose a port or a range of ports' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l kernel-memory -d 'Kernel memory limit (deprecated: ignored)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l ipc -d 'IPC namespace: private (the default), shareable (others may join it), none (no /dev/shm), host, or container:NAME to join a shareable container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l pid -d 'PID namespace: host, or container:NAME to join another container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l uts -d 'UTS namespace: host to keep the host\'s host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l userns -d 'User namespace: host (as root: no user namespace; rootless: the default, the only one an unprivileged user\'s containers can have), or keep-id (rootless: your uid and gid are themselves in the container, which runs as them; as root: the default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l restart -d 'Restart policy: no, on-failure[:max-retries], always, unless-stopped' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cpus -d 'Number of CPUs' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l memory-reservation -d 'Memory soft limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l pids-limit -d 'Tune container pids limit (set -1 for unlimited)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l blkio-weight -d 'Block IO (relative weight), between 10 and 1000' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cgroup-parent -d 'Optional parent cgroup for the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l cgroupns -d 'Cgroup namespace to use: host, or private (its own; the default on cgroup v2)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l device-cgroup-rule -d 'Add a rule to the cgroup allowed devices list (TYPE MAJOR:MINOR ACCESS: \'c 1:3 rwm\')' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l device -d 'Add a host device to the container (HOST[:CONTAINER][:rwm])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l log-driver -d 'Logging driver: json-file, local or none' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l log-opt -d 'Log driver options (max-size, max-file)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l health-cmd -d 'Command to run to check health' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l health-interval -d 'Time between running the check (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l health-timeout -d 'Maximum time to allow one check to run (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l health-start-period -d 'Start period for the container to initialize before failures count (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l health-start-interval -d 'Time between checks during the start period (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l health-retries -d 'Consecutive failures needed to report unhealthy' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-signal -d 'Signal to stop the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-timeout -d 'Timeout (in seconds) to stop a container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s p -l publish -d 'Publish a container\'s port(s) to the host ([ip:][hostPort:]containerPort[/tcp|udp], ranges as 8000-8010:80-90)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l dns -d 'Set custom DNS servers' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l dns-search -d 'Set custom DNS search domains' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l dns-option -d 'Set DNS options' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l add-host -d 'Add a custom host-to-IP mapping (host:ip, or host:host-gateway for the host)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l network-alias -d 'Add a name for the container on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l ip -d 'The container\'s IPv4 address on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l mac-address -d 'The container\'s MAC address on its user-defined network (92:d0:c6:0a:29:33)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l link -d 'Link to another container: its address under ALIAS in /etc/hosts and its ports in the environment (NAME_PORT_80_TCP=...), as docker\'s legacy links' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l pull -d 'Pull the image from its registry: missing (when not stored), always, never' -r -f -a "missing\t'Only when the image is not in the store'
always\t'Every time (the registry\'s newer image replaces the local one)'
never\t'Never: a missing image is an error'"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l platform -d 'Run the image of this platform (os/arch[/variant]): one stored for another platform is pulled anew; one this machine cannot execute is refused' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s d -l detach -d 'Run the container in the background and print its ID'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l rm -d 'Remove the container when it exits'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s i -l interactive -d 'Keep standard input open'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l read-only -d 'Mount the container\'s root filesystem as read only'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l init -d 'Run an init inside the container that forwards signals and reaps processes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l privileged -d 'Give extended privileges to this container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l oom-kill-disable -d 'Disable OOM Killer'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -l no-healthcheck -d 'Disable any container-specified HEALTHCHECK'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s P -l publish-all -d 'Publish all exposed ports to random ports'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Suppress the pull output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s a -l attach -d 'Attach to STDIN, STDOUT or STDERR (repeatable; stdout and stderr when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l sig-proxy -d 'Proxy received signals to the process (ignored with a terminal)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l detach-keys -d 'Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the detachKeys of docker\'s config.json)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l name -d 'Assign a name to the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cidfile -d 'Write the container ID to the file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s e -l env -d 'Set environment variables (KEY=VALUE, or KEY to take it from skiff\'s environment)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l env-file -d 'Read environment variables from a file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s w -l workdir -d 'Working directory inside the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s u -l user -d 'Username or UID, optionally with a group (name|uid[:group|gid])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l group-add -d 'Add additional groups to join' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s h -l hostname -d 'Container host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l entrypoint -d 'Overwrite the default ENTRYPOINT of the image' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s v -l volume -d 'Bind mount a host path or mount a volume ([/host/path|NAME:]/container/path[:ro]); a path alone gets a new anonymous volume' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l mount -d 'Attach a filesystem mount (type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size=, tmpfs-mode=,volume-opt=,volume-label=,volume-nocopy)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l volumes-from -d 'Mount the volumes and binds of another container at the same paths' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l tmpfs -d 'Mount a tmpfs directory (/path[:options])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l network -d 'Connect the container to a network: the default user-mode network (bridge, also called slirp4netns or pasta, with options such as slirp4netns:allow_host_loopback=true,mtu=N), none, host or container:NAME' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-add -d 'Add Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-drop -d 'Drop Linux capabilities' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l security-opt -d 'Security options (seccomp=unconfined|PROFILE.json, no-new-privileges)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s l -l label -d 'Set metadata on the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l label-file -d 'Read labels from a file of KEY=VALUE lines' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l annotation -d 'Add an annotation to the container (passed through to the runtime)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l ulimit -d 'Ulimit options (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l shm-size -d 'Size of /dev/shm (64m when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l sysctl -d 'Sysctl options of the container\'s own namespaces (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l oom-score-adj -d 'Tune the container\'s OOM preference (-1000 to 1000)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l domainname -d 'Container NIS domain name' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l expose -d 'Expose a port or a range of ports' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l kernel-memory -d 'Kernel memory limit (deprecated: ignored)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l ipc -d 'IPC namespace: private (the default), shareable (others may join it), none (no /dev/shm), host, or container:NAME to join a shareable container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l pid -d 'PID namespace: host, or container:NAME to join another container\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l uts -d 'UTS namespace: host to keep the host\'s host name' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l userns -d 'User namespace: host (as root: no user namespace; rootless: the default, the only one an unprivileged user\'s containers can have), or keep-id (rootless: your uid and gid are themselves in the container, which runs as them; as root: the default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l restart -d 'Restart policy: no, on-failure[:max-retries], always, unless-stopped' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cpus -d 'Number of CPUs' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l memory-reservation -d 'Memory soft limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l pids-limit -d 'Tune container pids limit (set -1 for unlimited)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l blkio-weight -d 'Block IO (relative weight), between 10 and 1000' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cgroup-parent -d 'Optional parent cgroup for the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l cgroupns -d 'Cgroup namespace to use: host, or private (its own; the default on cgroup v2)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l device-cgroup-rule -d 'Add a rule to the cgroup allowed devices list (TYPE MAJOR:MINOR ACCESS: \'c 1:3 rwm\')' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l device -d 'Add a host device to the container (HOST[:CONTAINER][:rwm])' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l log-driver -d 'Logging driver: json-file, local or none' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l log-opt -d 'Log driver options (max-size, max-file)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l health-cmd -d 'Command to run to check health' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l health-interval -d 'Time between running the check (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l health-timeout -d 'Maximum time to allow one check to run (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l health-start-period -d 'Start period for the container to initialize before failures count (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l health-start-interval -d 'Time between checks during the start period (ms|s|m|h)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l health-retries -d 'Consecutive failures needed to report unhealthy' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-signal -d 'Signal to stop the container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-timeout -d 'Timeout (in seconds) to stop a container' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s p -l publish -d 'Publish a container\'s port(s) to the host ([ip:][hostPort:]containerPort[/tcp|udp], ranges as 8000-8010:80-90)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l dns -d 'Set custom DNS servers' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l dns-search -d 'Set custom DNS search domains' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l dns-option -d 'Set DNS options' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l add-host -d 'Add a custom host-to-IP mapping (host:ip, or host:host-gateway for the host)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l network-alias -d 'Add a name for the container on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l ip -d 'The container\'s IPv4 address on its user-defined network' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l mac-address -d 'The container\'s MAC address on its user-defined network (92:d0:c6:0a:29:33)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l link -d 'Link to another container: its address under ALIAS in /etc/hosts and its ports in the environment (NAME_PORT_80_TCP=...), as docker\'s legacy links' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l pull -d 'Pull the image from its registry: missing (when not stored), always, never' -r -f -a "missing\t'Only when the image is not in the store'
always\t'Every time (the registry\'s newer image replaces the local one)'
never\t'Never: a missing image is an error'"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l platform -d 'Run the image of this platform (os/arch[/variant]): one stored for another platform is pulled anew; one this machine cannot execute is refused' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s d -l detach -d 'Run the container in the background and print its ID'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l rm -d 'Remove the container when it exits'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s i -l interactive -d 'Keep standard input open'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l read-only -d 'Mount the container\'s root filesystem as read only'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l init -d 'Run an init inside the container that forwards signals and reaps processes'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l privileged -d 'Give extended privileges to this container'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l oom-kill-disable -d 'Disable OOM Killer'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -l no-healthcheck -d 'Disable any container-specified HEALTHCHECK'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s P -l publish-all -d 'Publish all exposed ports to random ports'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Suppress the pull output'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -s a -l author -d 'Author (e.g. "Tao <t@example.com>")' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -s m -l message -d 'Commit message' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -s c -l change -d 'Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -s p -l pause -d 'Pause the container while committing' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from commit" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from cp" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from cp" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from cp" -s a -l archive -d 'Archive mode: keep the owners (uid/gid) of the source'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from cp" -s L -l follow-link -d 'Follow a symbolic link given as the source'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from cp" -s q -l quiet -d 'Suppress progress output (there is none; accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from cp" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from diff" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from diff" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from export" -s o -l output -d 'Write to a file instead of standard output' -r
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from export" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from export" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand container; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand events" -l since -d 'Show events created since this time (RFC 3339, Unix time, or relative like 10m)' -r
complete -c skiff -n "__fish_skiff_using_subcommand events" -l until -d 'Stream events until this time; without it, keep following new events' -r
complete -c skiff -n "__fish_skiff_using_subcommand events" -s f -l filter -d 'Filter: container=, image=, type=, event=' -r
complete -c skiff -n "__fish_skiff_using_subcommand events" -l format -d 'Format output with a Go template or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand events" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand events" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand events" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand commit" -s a -l author -d 'Author (e.g. "Tao <t@example.com>")' -r
complete -c skiff -n "__fish_skiff_using_subcommand commit" -s m -l message -d 'Commit message' -r
complete -c skiff -n "__fish_skiff_using_subcommand commit" -s c -l change -d 'Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)' -r
complete -c skiff -n "__fish_skiff_using_subcommand commit" -s p -l pause -d 'Pause the container while committing' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand commit" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand commit" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand commit" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand diff" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand diff" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand diff" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand history" -s H -l human -d 'Print sizes and dates in human readable format (the default)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand history" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand history" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand history" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand history" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand history" -s q -l quiet -d 'Only show image IDs'
complete -c skiff -n "__fish_skiff_using_subcommand history" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand save" -s o -l output -d 'Write to a file instead of standard output' -r
complete -c skiff -n "__fish_skiff_using_subcommand save" -l format -d 'The archive format' -r -f -a "docker-archive\t'docker\'s archive (manifest.json), which docker and podman load'
oci-archive\t'an OCI image layout in a tar'"
complete -c skiff -n "__fish_skiff_using_subcommand save" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand save" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c skiff -n "__fish_skiff_using_subcommand export" -s o -l output -d 'Write to a file instead of standard output' -r
complete -c skiff -n "__fish_skiff_using_subcommand export" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand export" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand export" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand cp" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand cp" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand cp" -s a -l archive -d 'Archive mode: keep the owners (uid/gid) of the source'
complete -c skiff -n "__fish_skiff_using_subcommand cp" -s L -l follow-link -d 'Follow a symbolic link given as the source'
complete -c skiff -n "__fish_skiff_using_subcommand cp" -s q -l quiet -d 'Suppress progress output (there is none; accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand cp" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand build" -s t -l tag -d 'Name and optionally a tag for the image (name:tag); may be given several times' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -s f -l file -d 'The Dockerfile (default: Dockerfile in the context; - for standard input)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l build-arg -d 'A build argument: NAME=VALUE, or NAME to take it from the environment' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l target -d 'Build this stage (and what it needs), not the last one' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l label -d 'A label for the image: KEY=VALUE' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l iidfile -d 'Write the image id to this file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand build" -l network -d 'The network of RUN steps: default (the built-in user-mode network), none or host' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l rm -d 'Remove intermediate containers (always done; accepted for compatibility)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand build" -l ulimit -d 'Ulimit options of RUN steps (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l shm-size -d 'Size of /dev/shm in RUN steps (64m when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l add-host -d 'Add a custom host-to-IP mapping to RUN steps (host:ip, or host:host-gateway)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l security-opt -d 'Security options of RUN steps (seccomp=unconfined|PROFILE.json, no-new-privileges)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l platform -d 'The platform to build for: only the host\'s (os/arch[/variant])' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand build" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand build" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand build" -l no-cache -d 'Run every step again instead of taking it from the cache'
complete -c skiff -n "__fish_skiff_using_subcommand build" -l pull -d 'Always look for newer base images (accepted; images come from the store until pulls land)'
complete -c skiff -n "__fish_skiff_using_subcommand build" -s q -l quiet -d 'Print only the image id (RUN output only when a step fails)'
complete -c skiff -n "__fish_skiff_using_subcommand build" -l force-rm -d 'Always remove intermediate containers (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand build" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -s f -l file -d 'Compose configuration files, merged in order ("-" reads standard input)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -s p -l project-name -d 'Project name' -r
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -l project-directory -d 'Alternate working directory (default: the directory of the first file)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -l env-file -d 'Alternate environment files (default: the project directory\'s .env)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -l profile -d 'Profiles to enable' -r
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand compose; and not __fish_seen_subcommand_from config" -f -a "config" -d 'Parse, resolve and render the compose file in canonical format'
complete -c skiff -n "__fish_skiff_using_subcommand compose; and __fish_seen_subcommand_from config" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and __fish_seen_subcommand_from config" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand compose; and __fish_seen_subcommand_from config" -l services -d 'Print the service names, one per line'
complete -c skiff -n "__fish_skiff_using_subcommand compose; and __fish_seen_subcommand_from config" -l volumes -d 'Print the volume names, one per line'
complete -c skiff -n "__fish_skiff_using_subcommand compose; and __fish_seen_subcommand_from config" -s q -l quiet -d 'Only validate the configuration, don\'t print anything'
complete -c skiff -n "__fish_skiff_using_subcommand compose; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand builder; and not __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand builder; and not __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand builder; and not __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand builder; and not __fish_seen_subcommand_from prune" -f -a "prune" -d 'Remove the build cache'
complete -c skiff -n "__fish_skiff_using_subcommand builder; and __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand builder; and __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand builder; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c skiff -n "__fish_skiff_using_subcommand builder; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove all of the cache (the only kind skiff keeps; accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand builder; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand images" -s f -l filter -d 'Filter output: dangling=true|false, label=KEY[=VALUE], reference=PATTERN, since=IMAGE, before=IMAGE' -r
complete -c skiff -n "__fish_skiff_using_subcommand images" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand images" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand images" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand images" -s a -l all -d 'Show all images (by default intermediate images are hidden)'
complete -c skiff -n "__fish_skiff_using_subcommand images" -s q -l quiet -d 'Only show image IDs'
complete -c skiff -n "__fish_skiff_using_subcommand images" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand images" -l digests -d 'Show digests'
complete -c skiff -n "__fish_skiff_using_subcommand images" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand load" -s i -l input -d 'Read from a tar archive file instead of standard input' -r
complete -c skiff -n "__fish_skiff_using_subcommand load" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand load" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand load" -s q -l quiet -d 'Suppress the progress output (the loaded images are still named)'
complete -c skiff -n "__fish_skiff_using_subcommand load" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand import" -s c -l change -d 'Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)' -r
complete -c skiff -n "__fish_skiff_using_subcommand import" -s m -l message -d 'Set a commit message for the imported image' -r
complete -c skiff -n "__fish_skiff_using_subcommand import" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand import" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand import" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand tag" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand tag" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand tag" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand rmi" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand rmi" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand rmi" -s f -l force -d 'Force removal of the image'
complete -c skiff -n "__fish_skiff_using_subcommand rmi" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l type -d 'Only look for objects of this type (container, image)' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -s s -l size -d 'Display total file sizes (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "ls" -d 'List images'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "list" -d 'List images'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "rm" -d 'Remove images'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "remove" -d 'Remove images'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "inspect" -d 'Show low-level information about images'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "tag" -d 'Give an image another name'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "load" -d 'Load images from a tar archive'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "import" -d 'Create an image from a root filesystem tarball'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "pull" -d 'Download an image from a registry'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "push" -d 'Upload an image to a registry'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "prune" -d 'Remove unused images'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "history" -d 'Show the history of an image'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "save" -d 'Save images to a tar archive (standard output by default)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and not __fish_seen_subcommand_from ls list rm remove inspect tag load import pull push prune history save build" -f -a "build" -d 'Build an image from a Dockerfile'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter output: dangling=true|false, label=KEY[=VALUE], reference=PATTERN, since=IMAGE, before=IMAGE' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show all images (by default intermediate images are hidden)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Only show image IDs'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -l digests -d 'Show digests'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter output: dangling=true|false, label=KEY[=VALUE], reference=PATTERN, since=IMAGE, before=IMAGE' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -s a -l all -d 'Show all images (by default intermediate images are hidden)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only show image IDs'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -l digests -d 'Show digests'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from rm" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from rm" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from rm" -s f -l force -d 'Force removal of the image'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from remove" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from remove" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from remove" -s f -l force -d 'Force removal of the image'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from inspect" -l type -d 'Only look for objects of this type (container, image)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from inspect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from inspect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from inspect" -s s -l size -d 'Display total file sizes (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from tag" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from tag" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from load" -s i -l input -d 'Read from a tar archive file instead of standard input' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from load" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from load" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from load" -s q -l quiet -d 'Suppress the progress output (the loaded images are still named)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from load" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from import" -s c -l change -d 'Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from import" -s m -l message -d 'Set a commit message for the imported image' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from import" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from import" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -l platform -d 'Pull the image for this platform (os/arch[/variant]) instead of the host\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -s q -l quiet -d 'Suppress verbose output'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -s a -l all-tags -d 'Download all tagged images in the repository (not supported)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -l json-progress -d 'Report progress as docker\'s JSON lines (for the Engine API service, which relays them)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from pull" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -l compression-format -d 'Compression of layers that have no compressed form yet' -r -f -a "gzip\t''
zstd\t''"
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -s q -l quiet -d 'Suppress verbose output'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -l json-progress -d 'Report progress as docker\'s JSON lines (for the Engine API service, which relays them)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from push" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from prune" -l filter -d 'Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove all unused images, not just dangling ones'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not prompt for confirmation'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -s H -l human -d 'Print sizes and dates in human readable format (the default)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -s q -l quiet -d 'Only show image IDs'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from save" -s o -l output -d 'Write to a file instead of standard output' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from save" -l format -d 'The archive format' -r -f -a "docker-archive\t'docker\'s archive (manifest.json), which docker and podman load'
oci-archive\t'an OCI image layout in a tar'"
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from save" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from save" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -s t -l tag -d 'Name and optionally a tag for the image (name:tag); may be given several times' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -s f -l file -d 'The Dockerfile (default: Dockerfile in the context; - for standard input)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l build-arg -d 'A build argument: NAME=VALUE, or NAME to take it from the environment' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l target -d 'Build this stage (and what it needs), not the last one' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l label -d 'A label for the image: KEY=VALUE' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l iidfile -d 'Write the image id to this file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l network -d 'The network of RUN steps: default (the built-in user-mode network), none or host' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l rm -d 'Remove intermediate containers (always done; accepted for compatibility)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l ulimit -d 'Ulimit options of RUN steps (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l shm-size -d 'Size of /dev/shm in RUN steps (64m when not given)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l add-host -d 'Add a custom host-to-IP mapping to RUN steps (host:ip, or host:host-gateway)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l security-opt -d 'Security options of RUN steps (seccomp=unconfined|PROFILE.json, no-new-privileges)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l platform -d 'The platform to build for: only the host\'s (os/arch[/variant])' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -s c -l cpu-shares -d 'CPU shares (relative weight)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l cpu-period -d 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l cpu-quota -d 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds (-1 for none)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l cpuset-cpus -d 'CPUs in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l cpuset-mems -d 'Memory nodes in which to allow execution (0-3, 0,1)' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -s m -l memory -d 'Memory limit' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l memory-swap -d 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' -r
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l no-cache -d 'Run every step again instead of taking it from the cache'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l pull -d 'Always look for newer base images (accepted; images come from the store until pulls land)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -s q -l quiet -d 'Print only the image id (RUN output only when a step fails)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -l force-rm -d 'Always remove intermediate containers (accepted for compatibility)'
complete -c skiff -n "__fish_skiff_using_subcommand image; and __fish_seen_subcommand_from build" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand pull" -l platform -d 'Pull the image for this platform (os/arch[/variant]) instead of the host\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand pull" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand pull" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand pull" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand pull" -s q -l quiet -d 'Suppress verbose output'
complete -c skiff -n "__fish_skiff_using_subcommand pull" -s a -l all-tags -d 'Download all tagged images in the repository (not supported)'
complete -c skiff -n "__fish_skiff_using_subcommand pull" -l json-progress -d 'Report progress as docker\'s JSON lines (for the Engine API service, which relays them)'
complete -c skiff -n "__fish_skiff_using_subcommand pull" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand push" -l compression-format -d 'Compression of layers that have no compressed form yet' -r -f -a "gzip\t''
zstd\t''"
complete -c skiff -n "__fish_skiff_using_subcommand push" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand push" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand push" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand push" -s q -l quiet -d 'Suppress verbose output'
complete -c skiff -n "__fish_skiff_using_subcommand push" -l json-progress -d 'Report progress as docker\'s JSON lines (for the Engine API service, which relays them)'
complete -c skiff -n "__fish_skiff_using_subcommand push" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand search" -l limit -d 'Show at most this many results' -r
complete -c skiff -n "__fish_skiff_using_subcommand search" -s f -l filter -d 'Filter output: stars=N, is-official=true|false, is-automated=true|false' -r
complete -c skiff -n "__fish_skiff_using_subcommand search" -l format -d 'Format output with a Go template ({{.Name}}, {{.Description}}, {{.StarCount}}, {{.IsOfficial}})' -r
complete -c skiff -n "__fish_skiff_using_subcommand search" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand search" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand search" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand search" -l no-trunc -d 'Don\'t truncate output'
complete -c skiff -n "__fish_skiff_using_subcommand search" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand login" -s u -l username -d 'Username' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -s p -l password -d 'Password' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l tls-verify -d 'Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)' -r -f -a "true\t''
false\t''"
complete -c skiff -n "__fish_skiff_using_subcommand login" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l password-stdin -d 'Take the password from standard input'
complete -c skiff -n "__fish_skiff_using_subcommand login" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "create" -d 'Create a volume'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "ls" -d 'List volumes'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "list" -d 'List volumes'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "inspect" -d 'Display detailed information on one or more volumes'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "rm" -d 'Remove one or more volumes (never one a container uses)'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "remove" -d 'Remove one or more volumes (never one a container uses)'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune" -f -a "prune" -d 'Remove unused volumes (anonymous ones only, unless --all)'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -l name -d 'The volume\'s name, as a flag' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -s d -l driver -d 'Volume driver (only "local")' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -l label -d 'Set metadata on the volume (KEY=VALUE)' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -s o -l opt -d 'Driver options: type=tmpfs, device=tmpfs, o=size=64m (or type=none, o=bind, device=/path)' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter output: dangling=true|false, name=TEXT, label=KEY[=VALUE], driver=local' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from ls" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from ls" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from ls" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Only display volume names'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter output: dangling=true|false, name=TEXT, label=KEY[=VALUE], driver=local' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from list" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from list" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from list" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only display volume names'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from inspect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from inspect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from rm" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from rm" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from rm" -s f -l force -d 'Do not report volumes that do not exist'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from remove" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from remove" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from remove" -s f -l force -d 'Do not report volumes that do not exist'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from prune" -l filter -d 'Filter: label=KEY[=VALUE], label!=KEY[=VALUE]' -r
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not prompt for confirmation'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove all unused volumes, not just anonymous ones'
complete -c skiff -n "__fish_skiff_using_subcommand volume; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "create" -d 'Create a network'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "ls" -d 'List networks'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "list" -d 'List networks'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "inspect" -d 'Display detailed information on one or more networks'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "rm" -d 'Remove one or more networks (never one a running container uses)'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "remove" -d 'Remove one or more networks (never one a running container uses)'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "prune" -d 'Remove all networks no container uses'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "connect" -d 'Connect a container to a network'
complete -c skiff -n "__fish_skiff_using_subcommand network; and not __fish_seen_subcommand_from create ls list inspect rm remove prune connect disconnect" -f -a "disconnect" -d 'Disconnect a container from a network'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -s d -l driver -d 'Network driver (only "bridge")' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l subnet -d 'Subnet in CIDR format (IPv4), e.g. 10.90.0.0/24; the first free 10.89.N.0/24 by default' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l gateway -d 'IPv4 gateway of the subnet (its first address by default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l ip-range -d 'Allocate container addresses from this part of the subnet (CIDR)' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l label -d 'Set metadata on the network (KEY=VALUE)' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -s o -l opt -d 'Driver options, e.g. com.docker.network.driver.mtu=9000' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l internal -d 'Restrict external access to the network'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l attachable -d 'Mark the network attachable (every skiff network takes containers anyway)'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -l ipv6 -d 'Enable IPv6 (not supported: skiff networks are IPv4 only)'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter output: name=TEXT, id=PREFIX, driver=NAME, label=KEY[=VALUE], type=custom|builtin, dangling=true|false' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Only display network IDs'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate the output'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter output: name=TEXT, id=PREFIX, driver=NAME, label=KEY[=VALUE], type=custom|builtin, dangling=true|false' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only display network IDs'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate the output'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from inspect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from inspect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from rm" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from rm" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from rm" -s f -l force -d 'Do not report networks that do not exist'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from remove" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from remove" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from remove" -s f -l force -d 'Do not report networks that do not exist'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from prune" -l filter -d 'Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not prompt for confirmation'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from connect" -l alias -d 'Add a name for the container on the network' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from connect" -l ip -d 'The container\'s IPv4 address on the network' -r
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from connect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from connect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from connect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -f -a "df" -d 'Show disk usage: images, containers and volumes'
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -f -a "info" -d 'Show system-wide information'
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -f -a "events" -d 'Show events from containers and images'
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -f -a "prune" -d 'Remove unused data: stopped containers, unused networks, dangling images, build cache'
complete -c skiff -n "__fish_skiff_using_subcommand system; and not __fish_seen_subcommand_from df info events prune service" -f -a "service" -d 'Serve the Docker Engine API, so docker\'s own clients (docker, docker-compose, SDKs) drive skiff'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from df" -l format -d 'Format output with a Go template, \'table\', \'table TEMPLATE\' or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from df" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from df" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from df" -s v -l verbose -d 'Show detailed information on space usage'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from df" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from info" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from info" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from info" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -l since -d 'Show events created since this time (RFC 3339, Unix time, or relative like 10m)' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -l until -d 'Stream events until this time; without it, keep following new events' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -s f -l filter -d 'Filter: container=, image=, type=, event=' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -l format -d 'Format output with a Go template or \'json\'' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from events" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -l filter -d 'Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove all unused images not just dangling ones'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not prompt for confirmation'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -l volumes -d 'Prune anonymous volumes'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from service" -s t -l time -d 'Seconds without clients before the service leaves (0: never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from service" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from service" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand system; and __fish_seen_subcommand_from service" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand version" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand version" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand version" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand version" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand info" -s f -l format -d 'Format output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand info" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand info" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand info" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand completion" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __supervise" -l ready-fd -d 'The pipe on which to report that the container (or network) is up' -r
complete -c skiff -n "__fish_skiff_using_subcommand __supervise" -l window-size -d 'The size of the launcher\'s terminal (ROWSxCOLUMNS), which the container\'s starts with' -r
complete -c skiff -n "__fish_skiff_using_subcommand __supervise" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __supervise" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __supervise" -l launcher-attaches -d 'The launcher attaches right after: hold the container\'s output for it'
complete -c skiff -n "__fish_skiff_using_subcommand __supervise" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __supervise-exec" -l ready-fd -d 'The pipe on which to report that the container (or network) is up' -r
complete -c skiff -n "__fish_skiff_using_subcommand __supervise-exec" -l window-size -d 'The size of the launcher\'s terminal (ROWSxCOLUMNS), which the process\'s starts with' -r
complete -c skiff -n "__fish_skiff_using_subcommand __supervise-exec" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __supervise-exec" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __supervise-exec" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __network-holder" -l ready-fd -d 'The pipe on which to report that the container (or network) is up' -r
complete -c skiff -n "__fish_skiff_using_subcommand __network-holder" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __network-holder" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __network-holder" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __generate-docs" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __generate-docs" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __generate-docs" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __create" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __create" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __create" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __start-for-client" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __start-for-client" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __start-for-client" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __prune" -l filter -r
complete -c skiff -n "__fish_skiff_using_subcommand __prune" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __prune" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __prune" -l all -d 'Images: every unused one; volumes: named ones too'
complete -c skiff -n "__fish_skiff_using_subcommand __prune" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __path-stat" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __path-stat" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __path-stat" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand __parse-dockerfile" -l build-arg -d 'A build argument for --expand: NAME=VALUE, or NAME to take it from the environment' -r
complete -c skiff -n "__fish_skiff_using_subcommand __parse-dockerfile" -l context -d 'Also show which files of this build context the .dockerignore excludes' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __parse-dockerfile" -l root -d 'Where images, layers and containers are stored' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __parse-dockerfile" -l runroot -d 'Where runtime state (pids, sockets) is kept' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand __parse-dockerfile" -l expand -d 'Expand variables as a build reaches each instruction (base images\' environments are taken as empty)'
complete -c skiff -n "__fish_skiff_using_subcommand __parse-dockerfile" -s h -l help -d 'Print help'

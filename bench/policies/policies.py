"""The benchmark's policies: 20 Gatekeeper ConstraintTemplates (Rego v0) with one constraint
each, and 20 ValidatingAdmissionPolicies (one CEL validation each) with one binding each.

Written for this benchmark in the style of the gatekeeper-library and the Kubernetes docs, not
copied. Nineteen checks exist in both engines with the same meaning (same parameters, an
object fails in one exactly when it fails in the other); the twentieth differs (Rego: unique
Service selectors, which needs `data.inventory`; CEL: Ingresses terminate TLS).
"""

# (apiGroups, kinds) of the objects that carry a pod template, as Gatekeeper `match.kinds`.
WORKLOADS = [
    {"apiGroups": [""], "kinds": ["Pod"]},
    {"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]},
    {"apiGroups": ["batch"], "kinds": ["Job", "CronJob"]},
]
CONTROLLERS = [{"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]}]
SCALABLE = [{"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet"]}]
EVERYTHING = [{"apiGroups": ["*"], "kinds": ["*"]}]
SERVICES = [{"apiGroups": [""], "kinds": ["Service"]}]

# Helpers every workload template carries (Gatekeeper templates are self-contained).
POD_HELPERS = r'''
pod_spec(obj) = spec {
  obj.kind == "Pod"
  spec := obj.spec
}

pod_spec(obj) = spec {
  obj.kind == "CronJob"
  spec := obj.spec.jobTemplate.spec.template.spec
}

pod_spec(obj) = spec {
  not obj.kind == "Pod"
  not obj.kind == "CronJob"
  spec := obj.spec.template.spec
}

input_containers[c] {
  c := pod_spec(input.review.object).containers[_]
}

input_containers[c] {
  c := pod_spec(input.review.object).initContainers[_]
}

has_field(obj, field) {
  _ = obj[field]
}
'''

QUANTITIES = r'''
cpu_millis(q) = n {
  is_number(q)
  n := q * 1000
}

cpu_millis(q) = n {
  is_string(q)
  endswith(q, "m")
  n := to_number(trim_suffix(q, "m"))
}

cpu_millis(q) = n {
  is_string(q)
  not endswith(q, "m")
  n := to_number(q) * 1000
}

mem_units := {"Ki": 1024, "Mi": 1048576, "Gi": 1073741824, "Ti": 1099511627776, "k": 1000, "M": 1000000, "G": 1000000000, "T": 1000000000000}

mem_bytes(q) = n {
  is_number(q)
  n := q
}

mem_bytes(q) = n {
  is_string(q)
  factor := mem_units[unit]
  endswith(q, unit)
  n := to_number(trim_suffix(q, unit)) * factor
}

mem_bytes(q) = n {
  is_string(q)
  regex.match("^[0-9]+(\\.[0-9]+)?$", q)
  n := to_number(q)
}
'''

# name, kind, match kinds, parameters, rego body (after the package line), helpers.
TEMPLATES = [
    ("requiredlabels", "K8sBenchRequiredLabels", EVERYTHING, {"labels": ["team", "app.kubernetes.io/name"]}, r'''
violation[{"msg": msg, "details": {"missing_labels": missing}}] {
  provided := {label | input.review.object.metadata.labels[label]}
  required := {label | label := input.parameters.labels[_]}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("%v %v is missing required labels: %v", [input.review.kind.kind, input.review.object.metadata.name, missing])
}
''', ""),
    ("allowedrepos", "K8sBenchAllowedRepos", WORKLOADS, {"repos": ["registry.example.com/", "ghcr.io/acme/"]}, r'''
violation[{"msg": msg}] {
  container := input_containers[_]
  not allowed_repo(container.image)
  msg := sprintf("container <%v> has an invalid image repo <%v>, allowed repos are %v", [container.name, container.image, input.parameters.repos])
}

allowed_repo(image) {
  repo := input.parameters.repos[_]
  startswith(image, repo)
}
''', POD_HELPERS),
    ("disallowedtags", "K8sBenchDisallowedTags", WORKLOADS, {"tags": ["latest"]}, r'''
violation[{"msg": msg}] {
  container := input_containers[_]
  tag := image_tag(container.image)
  tag == input.parameters.tags[_]
  msg := sprintf("container <%v> uses a disallowed tag <%v>", [container.name, container.image])
}

violation[{"msg": msg}] {
  container := input_containers[_]
  not contains(container.image, "@")
  not has_tag(container.image)
  msg := sprintf("container <%v> has no image tag <%v>", [container.name, container.image])
}

last_segment(image) = last {
  parts := split(image, "/")
  last := parts[count(parts) - 1]
}

image_tag(image) = tag {
  not contains(image, "@")
  last := last_segment(image)
  contains(last, ":")
  tag := split(last, ":")[1]
}

has_tag(image) {
  tag := image_tag(image)
  tag != ""
}
''', POD_HELPERS),
    ("containerlimits", "K8sBenchContainerLimits", WORKLOADS, {"cpu": "2", "memory": "1Gi"}, r'''
violation[{"msg": msg}] {
  container := input_containers[_]
  missing_limit(container)
  msg := sprintf("container <%v> has no cpu or memory limit", [container.name])
}

violation[{"msg": msg}] {
  container := input_containers[_]
  cpu_millis(container.resources.limits.cpu) > cpu_millis(input.parameters.cpu)
  msg := sprintf("container <%v> cpu limit <%v> is higher than the maximum allowed of <%v>", [container.name, container.resources.limits.cpu, input.parameters.cpu])
}

violation[{"msg": msg}] {
  container := input_containers[_]
  mem_bytes(container.resources.limits.memory) > mem_bytes(input.parameters.memory)
  msg := sprintf("container <%v> memory limit <%v> is higher than the maximum allowed of <%v>", [container.name, container.resources.limits.memory, input.parameters.memory])
}

missing_limit(c) {
  not c.resources.limits.cpu
}

missing_limit(c) {
  not c.resources.limits.memory
}
''', POD_HELPERS + QUANTITIES),
    ("privileged", "K8sBenchPrivilegedContainer", WORKLOADS, {}, r'''
violation[{"msg": msg, "details": {}}] {
  c := input_containers[_]
  c.securityContext.privileged == true
  msg := sprintf("Privileged container is not allowed: %v, securityContext: %v", [c.name, c.securityContext])
}
''', POD_HELPERS),
    ("hostnamespaces", "K8sBenchHostNamespace", WORKLOADS, {}, r'''
violation[{"msg": msg, "details": {}}] {
  spec := pod_spec(input.review.object)
  field := {"hostPID", "hostIPC", "hostNetwork"}[_]
  spec[field] == true
  msg := sprintf("Sharing the host namespace is not allowed: %v (%v)", [input.review.object.metadata.name, field])
}
''', POD_HELPERS),
    ("hostports", "K8sBenchHostNetworkingPorts", WORKLOADS, {"min": 8000, "max": 9000}, r'''
violation[{"msg": msg, "details": {}}] {
  c := input_containers[_]
  port := c.ports[_]
  hp := port.hostPort
  not in_range(hp)
  msg := sprintf("The specified hostPort %v of container %v is not allowed, pod: %v. Allowed range: %v-%v", [hp, c.name, input.review.object.metadata.name, input.parameters.min, input.parameters.max])
}

in_range(p) {
  p >= input.parameters.min
  p <= input.parameters.max
}
''', POD_HELPERS),
    ("capabilities", "K8sBenchCapabilities", WORKLOADS,
     {"requiredDropCapabilities": ["ALL"], "disallowedCapabilities": ["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "ALL"]}, r'''
violation[{"msg": msg}] {
  c := input_containers[_]
  disallowed := {x | x := input.parameters.disallowedCapabilities[_]}
  cap := c.securityContext.capabilities.add[_]
  disallowed[cap]
  msg := sprintf("container <%v> adds the disallowed capability %v", [c.name, cap])
}

violation[{"msg": msg}] {
  c := input_containers[_]
  required := input.parameters.requiredDropCapabilities[_]
  not drops(c, required)
  msg := sprintf("container <%v> does not drop the capability %v", [c.name, required])
}

drops(c, cap) {
  c.securityContext.capabilities.drop[_] == cap
}
''', POD_HELPERS),
    ("readonlyrootfs", "K8sBenchReadOnlyRootFilesystem", WORKLOADS, {}, r'''
violation[{"msg": msg, "details": {}}] {
  c := input_containers[_]
  not c.securityContext.readOnlyRootFilesystem == true
  msg := sprintf("only read-only root filesystem container is allowed: %v", [c.name])
}
''', POD_HELPERS),
    ("runasnonroot", "K8sBenchRunAsNonRoot", WORKLOADS, {}, r'''
violation[{"msg": msg}] {
  c := input_containers[_]
  not non_root(c)
  msg := sprintf("container <%v> may run as root: set runAsNonRoot: true", [c.name])
}

# Not `not run_as_non_root(c) == true`: with the call nested in the negation, OPA is undefined
# where run_as_non_root is undefined, regorus true (see README, "Differences found").
non_root(c) {
  run_as_non_root(c) == true
}

violation[{"msg": msg}] {
  c := input_containers[_]
  c.securityContext.runAsUser == 0
  msg := sprintf("container <%v> runs as user 0", [c.name])
}

run_as_non_root(c) = v {
  v := c.securityContext.runAsNonRoot
}

run_as_non_root(c) = v {
  not has_field(c.securityContext, "runAsNonRoot")
  v := pod_spec(input.review.object).securityContext.runAsNonRoot
}
''', POD_HELPERS),
    ("probes", "K8sBenchRequiredProbes", CONTROLLERS, {"probes": ["livenessProbe", "readinessProbe"]}, r'''
violation[{"msg": msg}] {
  c := pod_spec(input.review.object).containers[_]
  probe := input.parameters.probes[_]
  not has_field(c, probe)
  msg := sprintf("Container <%v> in your <%v> <%v> has no <%v>", [c.name, input.review.kind.kind, input.review.object.metadata.name, probe])
}
''', POD_HELPERS),
    ("replicalimits", "K8sBenchReplicaLimits", SCALABLE, {"min": 2, "max": 10}, r'''
violation[{"msg": msg}] {
  n := replicas(input.review.object)
  not in_range(n)
  msg := sprintf("The provided number of replicas %v is not allowed for %v: %v. Allowed range: %v-%v", [n, input.review.kind.kind, input.review.object.metadata.name, input.parameters.min, input.parameters.max])
}

replicas(obj) = n {
  n := obj.spec.replicas
}

replicas(obj) = 1 {
  not has_field(obj.spec, "replicas")
}

in_range(n) {
  n >= input.parameters.min
  n <= input.parameters.max
}

has_field(obj, field) {
  _ = obj[field]
}
''', ""),
    ("imagedigests", "K8sBenchImageDigests", WORKLOADS, {}, r'''
violation[{"msg": msg}] {
  c := input_containers[_]
  not regex.match("@sha256:[a-f0-9]{64}$", c.image)
  msg := sprintf("container <%v> uses an image without a digest <%v>", [c.name, c.image])
}
''', POD_HELPERS),
    ("automounttoken", "K8sBenchAutomountServiceAccountToken", WORKLOADS, {}, r'''
violation[{"msg": msg}] {
  spec := pod_spec(input.review.object)
  not spec.automountServiceAccountToken == false
  msg := sprintf("Automounting the service account token is not allowed, %v: %v", [input.review.kind.kind, input.review.object.metadata.name])
}
''', POD_HELPERS),
    ("seccomp", "K8sBenchSeccomp", WORKLOADS, {"allowedProfiles": ["RuntimeDefault", "Localhost"]}, r'''
violation[{"msg": msg}] {
  c := input_containers[_]
  not allowed_profile(c)
  msg := sprintf("Seccomp profile of container %v is not allowed; allowed profiles: %v", [c.name, input.parameters.allowedProfiles])
}

allowed_types := {t | t := input.parameters.allowedProfiles[_]}

allowed_profile(c) {
  t := c.securityContext.seccompProfile.type
  allowed_types[t]
}

allowed_profile(c) {
  not has_field(c.securityContext, "seccompProfile")
  t := pod_spec(input.review.object).securityContext.seccompProfile.type
  allowed_types[t]
}
''', POD_HELPERS),
    ("privilegeescalation", "K8sBenchAllowPrivilegeEscalation", WORKLOADS, {}, r'''
violation[{"msg": msg, "details": {}}] {
  c := input_containers[_]
  not c.securityContext.allowPrivilegeEscalation == false
  msg := sprintf("Privilege escalation container is not allowed: %v", [c.name])
}
''', POD_HELPERS),
    ("hostpath", "K8sBenchHostFilesystem", WORKLOADS, {"allowedPrefixes": ["/var/log", "/etc/ssl/certs"]}, r'''
violation[{"msg": msg, "details": {}}] {
  volume := pod_spec(input.review.object).volumes[_]
  path := volume.hostPath.path
  not allowed_path(path)
  msg := sprintf("HostPath volume %v is not allowed, pod: %v. Allowed path prefixes: %v", [volume.name, input.review.object.metadata.name, input.parameters.allowedPrefixes])
}

allowed_path(path) {
  prefix := input.parameters.allowedPrefixes[_]
  startswith(path, prefix)
}
''', POD_HELPERS),
    ("resourceratios", "K8sBenchContainerRatios", WORKLOADS, {"ratio": 4}, r'''
violation[{"msg": msg}] {
  c := input_containers[_]
  limit := mem_bytes(c.resources.limits.memory)
  request := mem_bytes(c.resources.requests.memory)
  request > 0
  limit / request > input.parameters.ratio
  msg := sprintf("container <%v> memory limit <%v> is more than %v times its request <%v>", [c.name, c.resources.limits.memory, input.parameters.ratio, c.resources.requests.memory])
}

violation[{"msg": msg}] {
  c := input_containers[_]
  limit := cpu_millis(c.resources.limits.cpu)
  request := cpu_millis(c.resources.requests.cpu)
  request > 0
  limit / request > input.parameters.ratio
  msg := sprintf("container <%v> cpu limit <%v> is more than %v times its request <%v>", [c.name, c.resources.limits.cpu, input.parameters.ratio, c.resources.requests.cpu])
}
''', POD_HELPERS + QUANTITIES),
    ("forbiddensysctls", "K8sBenchForbiddenSysctls", WORKLOADS, {"forbiddenSysctls": ["kernel.*", "vm.*"]}, r'''
violation[{"msg": msg, "details": {}}] {
  sysctl := pod_spec(input.review.object).securityContext.sysctls[_]
  pattern := input.parameters.forbiddenSysctls[_]
  forbidden(sysctl.name, pattern)
  msg := sprintf("The sysctl %v is not allowed, pod: %v. Forbidden sysctls: %v", [sysctl.name, input.review.object.metadata.name, input.parameters.forbiddenSysctls])
}

forbidden(name, pattern) {
  pattern == "*"
}

forbidden(name, pattern) {
  endswith(pattern, "*")
  startswith(name, trim_suffix(pattern, "*"))
}

forbidden(name, pattern) {
  name == pattern
}
''', POD_HELPERS),
    ("uniqueserviceselector", "K8sBenchUniqueServiceSelector", SERVICES, {}, r'''
flatten_selector(obj) = flattened {
  selectors := [s | val := obj.spec.selector[key]; s := concat(":", [key, val])]
  flattened := concat(",", sort(selectors))
}

violation[{"msg": msg}] {
  input.review.kind.kind == "Service"
  ns := input.review.object.metadata.namespace
  mine := flatten_selector(input.review.object)
  mine != ""
  other := data.inventory.namespace[ns][_]["Service"][name]
  name != input.review.object.metadata.name
  flatten_selector(other) == mine
  msg := sprintf("same selector as service <%v> in namespace <%v>", [name, ns])
}
''', ""),
]

# CEL: variables shared by the workload policies (the pod spec wherever the kind keeps it).
POD_VARIABLES = [
    {"name": "spec", "expression": "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)"},
    {"name": "containers", "expression": "variables.spec.containers + (has(variables.spec.initContainers) ? variables.spec.initContainers : [])"},
]
RULES_WORKLOADS = [
    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]},
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["deployments", "statefulsets", "daemonsets"]},
    {"apiGroups": ["batch"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["jobs", "cronjobs"]},
]
RULES_CONTROLLERS = [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["deployments", "statefulsets", "daemonsets"]}]
RULES_SCALABLE = [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["deployments", "statefulsets"]}]
RULES_ALL = [{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"], "resources": ["*"]}]
RULES_INGRESSES = [{"apiGroups": ["networking.k8s.io"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["ingresses"]}]

SC = "has(c.securityContext)"
# name, resource rules, uses pod variables, expression, message (or messageExpression with "=").
VALIDATIONS = [
    ("required-labels", RULES_ALL, False,
     "has(object.metadata.labels) && ['team', 'app.kubernetes.io/name'].all(l, l in object.metadata.labels)",
     "=object.kind + ' ' + object.metadata.name + ' is missing a team or app.kubernetes.io/name label'"),
    ("allowed-repos", RULES_WORKLOADS, True,
     "variables.containers.all(c, ['registry.example.com/', 'ghcr.io/acme/'].exists(r, c.image.startsWith(r)))",
     "images come from registry.example.com/ or ghcr.io/acme/"),
    ("disallowed-tags", RULES_WORKLOADS, True,
     "variables.containers.all(c, c.image.contains('@') || (c.image.substring(c.image.lastIndexOf('/') + 1).contains(':') && !c.image.endsWith(':latest')))",
     "images name a tag other than latest"),
    ("container-limits", RULES_WORKLOADS, True,
     "variables.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.cpu) && has(c.resources.limits.memory) && quantity(c.resources.limits.cpu).compareTo(quantity('2')) <= 0 && quantity(c.resources.limits.memory).compareTo(quantity('1Gi')) <= 0)",
     "containers set cpu and memory limits of at most 2 CPUs and 1Gi"),
    ("privileged", RULES_WORKLOADS, True,
     f"variables.containers.all(c, !{SC} || !has(c.securityContext.privileged) || c.securityContext.privileged != true)",
     "privileged containers are not allowed"),
    ("host-namespaces", RULES_WORKLOADS, True,
     "['hostPID', 'hostIPC', 'hostNetwork'].all(f, !(f in variables.spec) || variables.spec[f] != true)",
     "sharing the host's PID, IPC or network namespace is not allowed"),
    ("host-ports", RULES_WORKLOADS, True,
     "variables.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || (p.hostPort >= 8000 && p.hostPort <= 9000)))",
     "host ports are limited to 8000-9000"),
    ("capabilities", RULES_WORKLOADS, True,
     f"variables.containers.all(c, {SC} && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop && (!has(c.securityContext.capabilities.add) || !c.securityContext.capabilities.add.exists(a, a in ['SYS_ADMIN', 'NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'ALL'])))",
     "containers drop ALL capabilities and add none of the dangerous ones"),
    ("read-only-root-fs", RULES_WORKLOADS, True,
     f"variables.containers.all(c, {SC} && has(c.securityContext.readOnlyRootFilesystem) && c.securityContext.readOnlyRootFilesystem == true)",
     "containers run with a read-only root filesystem"),
    ("run-as-non-root", RULES_WORKLOADS, True,
     f"variables.containers.all(c, ({SC} && has(c.securityContext.runAsNonRoot) ? c.securityContext.runAsNonRoot == true : (has(variables.spec.securityContext) && has(variables.spec.securityContext.runAsNonRoot) && variables.spec.securityContext.runAsNonRoot == true)) && !({SC} && has(c.securityContext.runAsUser) && c.securityContext.runAsUser == 0))",
     "containers run as a non-root user"),
    ("probes", RULES_CONTROLLERS, False,
     "object.spec.template.spec.containers.all(c, has(c.livenessProbe) && has(c.readinessProbe))",
     "=object.kind + ' ' + object.metadata.name + ' has a container without liveness or readiness probe'"),
    ("replica-limits", RULES_SCALABLE, False,
     "(has(object.spec.replicas) ? object.spec.replicas : 1) >= 2 && (has(object.spec.replicas) ? object.spec.replicas : 1) <= 10",
     "=object.kind + ' ' + object.metadata.name + ' runs ' + string(has(object.spec.replicas) ? object.spec.replicas : 1) + ' replicas; allowed: 2-10'"),
    ("image-digests", RULES_WORKLOADS, True,
     "variables.containers.all(c, c.image.matches('@sha256:[a-f0-9]{64}$'))",
     "images are pinned by digest"),
    ("automount-token", RULES_WORKLOADS, True,
     "has(variables.spec.automountServiceAccountToken) && variables.spec.automountServiceAccountToken == false",
     "pods do not automount the service account token"),
    ("seccomp", RULES_WORKLOADS, True,
     f"variables.containers.all(c, {SC} && has(c.securityContext.seccompProfile) ? c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost'] : (has(variables.spec.securityContext) && has(variables.spec.securityContext.seccompProfile) && variables.spec.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']))",
     "containers use the RuntimeDefault or a Localhost seccomp profile"),
    ("privilege-escalation", RULES_WORKLOADS, True,
     f"variables.containers.all(c, {SC} && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)",
     "containers set allowPrivilegeEscalation: false"),
    ("host-path", RULES_WORKLOADS, True,
     "!has(variables.spec.volumes) || variables.spec.volumes.all(v, !has(v.hostPath) || ['/var/log', '/etc/ssl/certs'].exists(p, v.hostPath.path.startsWith(p)))",
     "hostPath volumes are limited to /var/log and /etc/ssl/certs"),
    ("resource-ratios", RULES_WORKLOADS, True,
     "variables.containers.all(c, !has(c.resources) || !has(c.resources.limits) || !has(c.resources.requests) || ("
     "(!has(c.resources.limits.memory) || !has(c.resources.requests.memory) || quantity(c.resources.requests.memory).asApproximateFloat() == 0.0 || quantity(c.resources.limits.memory).asApproximateFloat() <= 4.0 * quantity(c.resources.requests.memory).asApproximateFloat()) && "
     "(!has(c.resources.limits.cpu) || !has(c.resources.requests.cpu) || quantity(c.resources.requests.cpu).asApproximateFloat() == 0.0 || quantity(c.resources.limits.cpu).asApproximateFloat() <= 4.0 * quantity(c.resources.requests.cpu).asApproximateFloat())))",
     "limits are at most 4 times the requests"),
    ("forbidden-sysctls", RULES_WORKLOADS, True,
     "!has(variables.spec.securityContext) || !has(variables.spec.securityContext.sysctls) || variables.spec.securityContext.sysctls.all(s, !s.name.startsWith('kernel.') && !s.name.startsWith('vm.'))",
     "kernel.* and vm.* sysctls are not allowed"),
    ("ingress-tls", RULES_INGRESSES, False,
     "has(object.spec.tls) && size(object.spec.tls) > 0",
     "=object.metadata.name + ' serves plain HTTP: set spec.tls'"),
]

# Which Gatekeeper check has the same meaning as which CEL check (by position): all but the last.
TWINS = [(i, i) for i in range(19)]

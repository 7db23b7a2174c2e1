# METADATA
# title: Workloads name their owning team
# description: |
#   Every workload carries a `team` label on its pod template, so an incident or an audit
#   question reaches the people who run it (SOC 2 CC6.1 asks who is responsible for a system).
# custom:
#   code: SHOP-001
#   severity: medium
#   frameworks: ["soc2:CC6.1"]
package main

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "Job"}

deny contains {"msg": msg, "details": {"pointer": "/spec/template/metadata/labels"}} if {
	input.kind in workload_kinds
	not input.spec.template.metadata.labels.team
	msg := sprintf("%s %s has no team label on its pod template", [input.kind, input.metadata.name])
}

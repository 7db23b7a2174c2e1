package z
import rego.v1
f("RunAsAny", _, _) := true
h(x) := x if { x > 5 }
a contains 1 if { not f("Other", 1, 2) }
b contains 1 if { not f("Other", 1, input.params.rule) }
c contains 1 if { not h(1) == 1 }
d contains 1 if { not h(1) }
e contains 1 if { not h(input.params.missing) }
g contains 1 if { not input.params.missing == h(1) }
k contains 1 if { not [h(1)] == [1] }
l contains 1 if { not {"a": input.params.missing} == {"a": 1} }

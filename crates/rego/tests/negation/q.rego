package q
import rego.v1
f("RunAsAny", _, _) := true
i contains 1 if { params := input.params; not params.ranges != 1 }
j contains 1 if { params := input.params; not params.ranges + 1 == 2 }
k contains 1 if { params := input.params; not params.ranges < 1 }
l contains 1 if { params := input.params; not f(params.rule, 1, params.ranges) == true }
m contains 1 if { params := input.params; not [params.ranges][0] == 1 }
n contains 1 if { params := input.params; not f(params.rule, 1, [params.ranges]) }
o contains 1 if { params := input.params; not f(params.rule, 1, {x | x := params.ranges[_]}) }
p contains 1 if { params := input.params; not f(params.rule, params.ranges, 1) }
r contains 1 if { params := input.params; not f("Other", 1, params.ranges) }
s contains 1 if { not input.params.ranges == 1 }

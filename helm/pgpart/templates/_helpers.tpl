{{/* Base name of every object: "pgpart-operator" for a release named pgpart. */}}
{{- define "pgpart.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s-operator" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The operator's namespace: values.namespace, else the release namespace. */}}
{{- define "pgpart.namespace" -}}
{{- default .Release.Namespace .Values.namespace -}}
{{- end -}}

{{/* Labels the Deployment selects on; the same as manifests/ so the two install the same way. */}}
{{- define "pgpart.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Helm-only labels (tests ignore these when comparing with manifests/). */}}
{{- define "pgpart.helmLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pgpart.labels" -}}
{{ include "pgpart.selectorLabels" . }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
{{ include "pgpart.helmLabels" . }}
{{- end -}}

{{/* Least-privilege rules (issue 5): read policies, write their status, get (never list) the
     Secret a policy names, emit Events. The Lease rule is separate: it lives where the Lease is. */}}
{{- define "pgpart.watchRules" -}}
- apiGroups: ["pgpart.io"]
  resources: ["partitionpolicies"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["pgpart.io"]
  resources: ["partitionpolicies/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{- /* One Lease, named as the operator's --lease-name default: create it, then read and renew
only that one. */ -}}
{{- define "pgpart.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["create"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  resourceNames: ["pgpart-operator"]
  verbs: ["get", "update"]
{{- end -}}

{{- define "pgpart.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

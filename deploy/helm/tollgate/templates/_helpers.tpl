{{- define "tollgate.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tollgate.fullname" -}}
{{- if eq .Release.Name .Chart.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tollgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tollgate.labels" -}}
{{ include "tollgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tollgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "tollgate.secretName" -}}
{{- .Values.existingSecret | default (include "tollgate.fullname" .) -}}
{{- end -}}

{{/* The environment shared by the gateway and the migration Job: secrets first. */}}
{{- define "tollgate.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "tollgate.secretName" . }}
      key: {{ .Values.secretKeys.databaseUrl }}
- name: ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tollgate.secretName" . }}
      key: {{ .Values.secretKeys.encryptionKey }}
- name: ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "tollgate.secretName" . }}
      key: {{ .Values.secretKeys.adminToken }}
{{- if .Values.secretKeys.databaseDirectUrl }}
- name: {{ .Values.databaseDirectUrlEnv }}
  valueFrom:
    secretKeyRef:
      name: {{ include "tollgate.secretName" . }}
      key: {{ .Values.secretKeys.databaseDirectUrl }}
{{- end }}
{{- end -}}

{{/* How many replicas usually run: each enforces 1/N of every limit while Redis is unreachable. */}}
{{- define "tollgate.expectedInstances" -}}
{{- if .Values.autoscaling.enabled -}}
{{- .Values.autoscaling.minReplicas -}}
{{- else -}}
{{- .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{/*
Postgres connections at full scale (values.yaml, "postgres"): the most pods that can run at once
(the HPA's maximum, or replicaCount, plus the rolling update's 25% surge, rounded up), each with
DATABASE_POOL_SIZE pooled connections and one LISTEN connection. Fails the render when that
exceeds postgres.maxConnections (0: no check).
*/}}
{{- define "tollgate.checkPostgresConnections" -}}
{{- $limit := int .Values.postgres.maxConnections -}}
{{- if gt $limit 0 -}}
{{- $replicas := int (ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled) -}}
{{- $pods := add $replicas (div (add $replicas 3) 4) -}}
{{- $pool := int (.Values.env.DATABASE_POOL_SIZE | default "10") -}}
{{- $total := mul $pods (add $pool 1) -}}
{{- if gt $total $limit -}}
{{- fail (printf "%d pods × (DATABASE_POOL_SIZE %d + 1 LISTEN) = %d Postgres connections, more than postgres.maxConnections (%d): lower env.DATABASE_POOL_SIZE or autoscaling.maxReplicas, put PgBouncer in front, or raise postgres.maxConnections to what your server allows (values.yaml explains the arithmetic)" $pods $pool $total $limit) -}}
{{- end -}}
{{- end -}}
{{- end -}}

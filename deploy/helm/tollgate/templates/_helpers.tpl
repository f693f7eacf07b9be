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

{{/* The Secret the pods read: yours (existingSecret), or the chart's trial Secret. */}}
{{- define "tollgate.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-trial" (include "tollgate.fullname" .)) -}}
{{- end -}}

{{/*
The Secret the migration Job reads: yours, or the hook copy of the trial Secret (secret.yaml). It
keeps the name the chart's earlier versions gave their (hook) trial Secret, so the first upgrade
replaces that one (before-hook-creation) and then deletes it.
*/}}
{{- define "tollgate.migrationSecretName" -}}
{{- .Values.existingSecret | default (include "tollgate.fullname" .) -}}
{{- end -}}

{{/* The trial Secret's keys and values (secret.yaml renders them twice). */}}
{{- define "tollgate.trialSecretData" -}}
{{ .Values.secretKeys.databaseUrl }}: {{ required "secrets.databaseUrl (or existingSecret) is required" .Values.secrets.databaseUrl | quote }}
{{ .Values.secretKeys.redisUrl }}: {{ required "secrets.redisUrl (or existingSecret) is required" .Values.secrets.redisUrl | quote }}
{{ .Values.secretKeys.encryptionKey }}: {{ required "secrets.encryptionKey (or existingSecret) is required: 32 bytes, base64" .Values.secrets.encryptionKey | quote }}
{{ .Values.secretKeys.adminToken }}: {{ required "secrets.adminToken (or existingSecret) is required: at least 16 characters" .Values.secrets.adminToken | quote }}
{{- if .Values.secrets.metricsToken }}
{{ .Values.secretKeys.metricsToken }}: {{ .Values.secrets.metricsToken | quote }}
{{- end }}
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

{{/*
LIMITS_EXPECTED_INSTANCES: while Redis is unreachable each replica enforces 1/N of every limit in
memory (src/limits/limiters.ts), so N running replicas together allow the limit. With the HPA, N is
the most replicas it may run: fewer running replicas then allow less than the limit during the
outage, but the limits (provider quotas, the global ceiling) are never exceeded, as they would be
N/minReplicas times over with minReplicas.
*/}}
{{- define "tollgate.expectedInstances" -}}
{{- if .Values.autoscaling.enabled -}}
{{- .Values.autoscaling.maxReplicas -}}
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

/* The incident life cycle: names of statuses and severities, and the transition table. */
#include "incident/incident.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static const char *const status_names[KZ_INC_STATUS_COUNT] = {
    "reported", "triage", "investigating", "contained", "recovered", "closed",
};

static const char *const severity_names[KZ_SEV_COUNT] = {
    "low", "medium", "high", "critical", "national",
};

/*
 * moves[from][to]. Forward steps are allowed and may skip a stage where the work of the
 * skipped stage is implied (a report clear enough to go straight to investigation, a
 * recovery that contained). Closing before containment (false positive, duplicate), going
 * back (containment failed) and reopening a closed incident need a reason.
 */
#define A KZ_MOVE_ALLOWED
#define R KZ_MOVE_NEEDS_REASON
#define F KZ_MOVE_FORBIDDEN
/* clang-format off */
static const enum kz_incident_move moves[KZ_INC_STATUS_COUNT][KZ_INC_STATUS_COUNT] = {
    /*                 reported triage investigating contained recovered closed */
    /* reported */      {F,      A,     A,            F,        F,        R},
    /* triage */        {F,      F,     A,            A,        F,        R},
    /* investigating */ {F,      F,     F,            A,        A,        R},
    /* contained */     {F,      F,     R,            F,        A,        A},
    /* recovered */     {F,      F,     R,            F,        F,        A},
    /* closed */        {R,      R,     R,            F,        F,        F},
};
/* clang-format on */
#undef A
#undef R
#undef F

const char *
kz_incident_status_name(enum kz_incident_status st)
{
    return (unsigned)st < KZ_INC_STATUS_COUNT ? status_names[st] : "unknown";
}

kz_err
kz_incident_status_parse(const char *s, enum kz_incident_status *out)
{
    for (int i = 0; s && i < KZ_INC_STATUS_COUNT; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum kz_incident_status)i;
            return KZ_OK;
        }
    }
    return KZ_ERR_INVALID;
}

const char *
kz_incident_severity_name(enum kz_incident_severity sev)
{
    return (unsigned)sev < KZ_SEV_COUNT ? severity_names[sev] : "unknown";
}

kz_err
kz_incident_severity_parse(const char *s, enum kz_incident_severity *out)
{
    for (int i = 0; s && i < KZ_SEV_COUNT; i++) {
        if (strcmp(s, severity_names[i]) == 0) {
            *out = (enum kz_incident_severity)i;
            return KZ_OK;
        }
    }
    return KZ_ERR_INVALID;
}

enum kz_incident_move
kz_incident_move(enum kz_incident_status from, enum kz_incident_status to)
{
    if ((unsigned)from >= KZ_INC_STATUS_COUNT || (unsigned)to >= KZ_INC_STATUS_COUNT)
        return KZ_MOVE_FORBIDDEN;
    return moves[from][to];
}

kz_err
kz_incident_check_move(enum kz_incident_status from, enum kz_incident_status to, const char *reason,
                       char *why, size_t whylen)
{
    switch (kz_incident_move(from, to)) {
    case KZ_MOVE_ALLOWED:
        return KZ_OK;
    case KZ_MOVE_NEEDS_REASON:
        if (reason && reason[0])
            return KZ_OK;
        snprintf(why, whylen, "going from '%s' to '%s' needs a 'reason'",
                 kz_incident_status_name(from), kz_incident_status_name(to));
        return KZ_ERR_CONFLICT;
    case KZ_MOVE_FORBIDDEN:
        break;
    }
    snprintf(why, whylen, "an incident cannot go from '%s' to '%s'", kz_incident_status_name(from),
             kz_incident_status_name(to));
    return KZ_ERR_CONFLICT;
}

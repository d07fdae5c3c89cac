/* SPDX-License-Identifier: MIT */
/*
 * The routing module is sip-router's (services/sip-router/routing.c); the
 * Makefile links a tool from its own folder only, so the tool compiles the
 * very same source here rather than a copy of it.
 */
#include "../../services/sip-router/routing.c"

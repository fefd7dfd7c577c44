/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/host/openapi.test.ts > TAP > the OpenAPI document is unchanged (integer ids) > the document 1`] = `
{
  "openapi": "3.0.3",
  "info": {
    "title": "fastify-directmessages example",
    "description": "Direct messages between users. Create a user with POST /users, then authorise with its token.",
    "version": "0.1.0"
  },
  "components": {
    "securitySchemes": {
      "token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "\`Token <token>\` or \`Bearer <token>\`"
      }
    },
    "schemas": {}
  },
  "paths": {
    "/api/dm/unread/": {
      "get": {
        "summary": "Unread message count",
        "tags": [
          "direct messages"
        ],
        "description": "The caller's id, the number of unread messages addressed to them that they have not deleted, and (\`unmuted_count\`) how many of those are in conversations they have not muted.",
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "UnreadCount",
                  "type": "object",
                  "required": [
                    "id",
                    "count",
                    "unmuted_count"
                  ],
                  "properties": {
                    "id": {
                      "description": "The caller's user id",
                      "type": "integer"
                    },
                    "count": {
                      "description": "Unread messages addressed to the caller and not deleted by them",
                      "type": "integer"
                    },
                    "unmuted_count": {
                      "description": "Those of them in conversations the caller has not muted",
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/": {
      "get": {
        "summary": "Conversation partners",
        "tags": [
          "direct messages"
        ],
        "description": "The users the caller has conversations with, most recent activity first, 50 per page (\`page_size\` 1–100), each with the caller's unread count, the newest message and whether the caller muted or archived it. Archived conversations are listed only with \`archived=true\` (and then only they: each list has its own cursors). A conversation whose every message the caller deleted is not listed.",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          },
          {
            "schema": {
              "type": "boolean"
            },
            "in": "query",
            "name": "archived",
            "required": false,
            "description": "true: list the archived conversations only; false (the default): the others only"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "ConversationPage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Conversation",
                        "type": "object",
                        "required": [
                          "id",
                          "username",
                          "first_name",
                          "last_name",
                          "unread_count",
                          "last_message",
                          "muted",
                          "archived"
                        ],
                        "properties": {
                          "id": {
                            "type": "integer"
                          },
                          "username": {
                            "type": "string"
                          },
                          "first_name": {
                            "type": "string"
                          },
                          "last_name": {
                            "type": "string"
                          },
                          "unread_count": {
                            "description": "Unread messages from this partner",
                            "type": "integer"
                          },
                          "last_message": {
                            "title": "Message",
                            "type": "object",
                            "required": [
                              "id",
                              "sender",
                              "recipient",
                              "direction",
                              "sent_at",
                              "read_at",
                              "content",
                              "edited_at",
                              "unsent_at",
                              "reply_to",
                              "reactions",
                              "attachments"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "sender": {
                                "description": "Sender user id",
                                "type": "integer"
                              },
                              "recipient": {
                                "description": "Recipient user id",
                                "type": "integer"
                              },
                              "direction": {
                                "type": "string",
                                "enum": [
                                  "in",
                                  "out"
                                ],
                                "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                              },
                              "sent_at": {
                                "format": "date-time",
                                "type": "string"
                              },
                              "read_at": {
                                "format": "date-time",
                                "type": "string",
                                "description": "When the recipient read it; null while unread",
                                "nullable": true
                              },
                              "content": {
                                "description": "The text; \`\\"\\"\` once unsent",
                                "type": "string"
                              },
                              "edited_at": {
                                "format": "date-time",
                                "type": "string",
                                "description": "When the sender last edited it; null if never",
                                "nullable": true
                              },
                              "unsent_at": {
                                "format": "date-time",
                                "type": "string",
                                "description": "When the sender unsent it (a tombstone for both); null if not",
                                "nullable": true
                              },
                              "reply_to": {
                                "title": "ReplyPreview",
                                "type": "object",
                                "required": [
                                  "id",
                                  "sender",
                                  "content",
                                  "unsent"
                                ],
                                "properties": {
                                  "id": {
                                    "type": "integer"
                                  },
                                  "sender": {
                                    "description": "Its sender",
                                    "type": "integer"
                                  },
                                  "content": {
                                    "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                                    "type": "string"
                                  },
                                  "unsent": {
                                    "type": "boolean"
                                  }
                                },
                                "description": "The message this one answers; null if none",
                                "nullable": true
                              },
                              "reactions": {
                                "description": "One entry per emoji, in the order first used; empty once unsent",
                                "type": "array",
                                "items": {
                                  "title": "Reaction",
                                  "type": "object",
                                  "required": [
                                    "emoji",
                                    "count",
                                    "me"
                                  ],
                                  "properties": {
                                    "emoji": {
                                      "type": "string"
                                    },
                                    "count": {
                                      "minimum": 1,
                                      "description": "How many users reacted with it",
                                      "type": "integer"
                                    },
                                    "me": {
                                      "description": "Whether the caller did",
                                      "type": "boolean"
                                    }
                                  }
                                }
                              },
                              "attachments": {
                                "description": "The files it carries, in the order sent; empty when none and once unsent",
                                "type": "array",
                                "items": {
                                  "title": "Attachment",
                                  "type": "object",
                                  "required": [
                                    "id",
                                    "name",
                                    "content_type",
                                    "size",
                                    "width",
                                    "height",
                                    "url",
                                    "thumbnail_url"
                                  ],
                                  "properties": {
                                    "id": {
                                      "description": "The attachment id",
                                      "type": "string"
                                    },
                                    "name": {
                                      "description": "The file name the sender gave (display text, never a path)",
                                      "type": "string"
                                    },
                                    "content_type": {
                                      "description": "The stored media type",
                                      "type": "string"
                                    },
                                    "size": {
                                      "description": "Bytes",
                                      "type": "integer"
                                    },
                                    "width": {
                                      "type": "integer",
                                      "description": "An image's width in pixels as displayed; null for other files",
                                      "nullable": true
                                    },
                                    "height": {
                                      "type": "integer",
                                      "description": "An image's height in pixels as displayed; null for other files",
                                      "nullable": true
                                    },
                                    "url": {
                                      "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                                      "type": "string"
                                    },
                                    "thumbnail_url": {
                                      "type": "string",
                                      "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                                      "nullable": true
                                    }
                                  }
                                }
                              }
                            },
                            "description": "The newest message of the conversation the caller has not deleted",
                            "nullable": true
                          },
                          "muted": {
                            "description": "The caller muted it: its messages count in \`count\` of /unread/, not in \`unmuted_count\`",
                            "type": "boolean"
                          },
                          "archived": {
                            "description": "The caller archived it: listed by \`?archived=true\` only, until a new message arrives",
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/unread/": {
      "get": {
        "summary": "Unread counts per conversation",
        "tags": [
          "direct messages"
        ],
        "description": "One entry per partner with unread messages for the caller, most recent activity first, muted and archived conversations included (\`muted\` says which are muted).",
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "title": "UnreadConversation",
                    "type": "object",
                    "required": [
                      "partner_id",
                      "partner_username",
                      "unread_count",
                      "muted"
                    ],
                    "properties": {
                      "partner_id": {
                        "type": "integer"
                      },
                      "partner_username": {
                        "type": "string"
                      },
                      "unread_count": {
                        "minimum": 1,
                        "type": "integer"
                      },
                      "muted": {
                        "description": "The caller muted this conversation (its messages still count as unread)",
                        "type": "boolean"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/": {
      "get": {
        "summary": "Messages of a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "The messages between the caller and user \`id\`, newest first, 50 per page (\`page_size\` 1–100). Marks every unread message of this conversation addressed to the caller as read (not only those on the page), unless \`mark_read=false\`.",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          },
          {
            "schema": {
              "type": "boolean"
            },
            "in": "query",
            "name": "mark_read",
            "required": false,
            "description": "false: show the page without marking anything read (default true)"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "MessagePage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Message",
                        "type": "object",
                        "required": [
                          "id",
                          "sender",
                          "recipient",
                          "direction",
                          "sent_at",
                          "read_at",
                          "content",
                          "edited_at",
                          "unsent_at",
                          "reply_to",
                          "reactions",
                          "attachments"
                        ],
                        "properties": {
                          "id": {
                            "type": "integer"
                          },
                          "sender": {
                            "description": "Sender user id",
                            "type": "integer"
                          },
                          "recipient": {
                            "description": "Recipient user id",
                            "type": "integer"
                          },
                          "direction": {
                            "type": "string",
                            "enum": [
                              "in",
                              "out"
                            ],
                            "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                          },
                          "sent_at": {
                            "format": "date-time",
                            "type": "string"
                          },
                          "read_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the recipient read it; null while unread",
                            "nullable": true
                          },
                          "content": {
                            "description": "The text; \`\\"\\"\` once unsent",
                            "type": "string"
                          },
                          "edited_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender last edited it; null if never",
                            "nullable": true
                          },
                          "unsent_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender unsent it (a tombstone for both); null if not",
                            "nullable": true
                          },
                          "reply_to": {
                            "title": "ReplyPreview",
                            "type": "object",
                            "required": [
                              "id",
                              "sender",
                              "content",
                              "unsent"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "sender": {
                                "description": "Its sender",
                                "type": "integer"
                              },
                              "content": {
                                "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                                "type": "string"
                              },
                              "unsent": {
                                "type": "boolean"
                              }
                            },
                            "description": "The message this one answers; null if none",
                            "nullable": true
                          },
                          "reactions": {
                            "description": "One entry per emoji, in the order first used; empty once unsent",
                            "type": "array",
                            "items": {
                              "title": "Reaction",
                              "type": "object",
                              "required": [
                                "emoji",
                                "count",
                                "me"
                              ],
                              "properties": {
                                "emoji": {
                                  "type": "string"
                                },
                                "count": {
                                  "minimum": 1,
                                  "description": "How many users reacted with it",
                                  "type": "integer"
                                },
                                "me": {
                                  "description": "Whether the caller did",
                                  "type": "boolean"
                                }
                              }
                            }
                          },
                          "attachments": {
                            "description": "The files it carries, in the order sent; empty when none and once unsent",
                            "type": "array",
                            "items": {
                              "title": "Attachment",
                              "type": "object",
                              "required": [
                                "id",
                                "name",
                                "content_type",
                                "size",
                                "width",
                                "height",
                                "url",
                                "thumbnail_url"
                              ],
                              "properties": {
                                "id": {
                                  "description": "The attachment id",
                                  "type": "string"
                                },
                                "name": {
                                  "description": "The file name the sender gave (display text, never a path)",
                                  "type": "string"
                                },
                                "content_type": {
                                  "description": "The stored media type",
                                  "type": "string"
                                },
                                "size": {
                                  "description": "Bytes",
                                  "type": "integer"
                                },
                                "width": {
                                  "type": "integer",
                                  "description": "An image's width in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "height": {
                                  "type": "integer",
                                  "description": "An image's height in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "url": {
                                  "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                                  "type": "string"
                                },
                                "thumbnail_url": {
                                  "type": "string",
                                  "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                                  "nullable": true
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Delete a conversation for yourself",
        "tags": [
          "direct messages"
        ],
        "description": "Hides every current message of the conversation with user \`id\` for the caller; the partner keeps theirs. A later message brings the conversation back.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "post": {
        "summary": "Send a message in a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Sends \`content\` to user \`id\`, then answers the first page of the conversation, as GET does.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "content"
                ],
                "properties": {
                  "content": {
                    "maxLength": 10000,
                    "description": "The message text, stored exactly as given; not empty or only white space, unless the message carries attachments",
                    "type": "string"
                  },
                  "reply_to": {
                    "minimum": 1,
                    "maximum": 9007199254740991,
                    "description": "The id of the message this one answers: a message of this conversation the sender can see",
                    "type": "integer"
                  },
                  "attachments": {
                    "minItems": 1,
                    "maxItems": 10,
                    "description": "Ids of the sender's uploads (\`POST /attachments/\`) the message carries, in this order; with attachments \`content\` may be \`\\"\\"\`. Each is sent once.",
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          },
          {
            "schema": {
              "pattern": "^[\\\\x21-\\\\x7E]{1,255}$",
              "type": "string"
            },
            "in": "header",
            "name": "idempotency-key",
            "required": false,
            "description": "Makes the send safe to retry: the same key from the same sender answers the message the first send created (201, same message) and creates nothing; another recipient or content is a 409. 1–255 visible ASCII characters."
          }
        ],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "MessagePage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Message",
                        "type": "object",
                        "required": [
                          "id",
                          "sender",
                          "recipient",
                          "direction",
                          "sent_at",
                          "read_at",
                          "content",
                          "edited_at",
                          "unsent_at",
                          "reply_to",
                          "reactions",
                          "attachments"
                        ],
                        "properties": {
                          "id": {
                            "type": "integer"
                          },
                          "sender": {
                            "description": "Sender user id",
                            "type": "integer"
                          },
                          "recipient": {
                            "description": "Recipient user id",
                            "type": "integer"
                          },
                          "direction": {
                            "type": "string",
                            "enum": [
                              "in",
                              "out"
                            ],
                            "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                          },
                          "sent_at": {
                            "format": "date-time",
                            "type": "string"
                          },
                          "read_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the recipient read it; null while unread",
                            "nullable": true
                          },
                          "content": {
                            "description": "The text; \`\\"\\"\` once unsent",
                            "type": "string"
                          },
                          "edited_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender last edited it; null if never",
                            "nullable": true
                          },
                          "unsent_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender unsent it (a tombstone for both); null if not",
                            "nullable": true
                          },
                          "reply_to": {
                            "title": "ReplyPreview",
                            "type": "object",
                            "required": [
                              "id",
                              "sender",
                              "content",
                              "unsent"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "sender": {
                                "description": "Its sender",
                                "type": "integer"
                              },
                              "content": {
                                "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                                "type": "string"
                              },
                              "unsent": {
                                "type": "boolean"
                              }
                            },
                            "description": "The message this one answers; null if none",
                            "nullable": true
                          },
                          "reactions": {
                            "description": "One entry per emoji, in the order first used; empty once unsent",
                            "type": "array",
                            "items": {
                              "title": "Reaction",
                              "type": "object",
                              "required": [
                                "emoji",
                                "count",
                                "me"
                              ],
                              "properties": {
                                "emoji": {
                                  "type": "string"
                                },
                                "count": {
                                  "minimum": 1,
                                  "description": "How many users reacted with it",
                                  "type": "integer"
                                },
                                "me": {
                                  "description": "Whether the caller did",
                                  "type": "boolean"
                                }
                              }
                            }
                          },
                          "attachments": {
                            "description": "The files it carries, in the order sent; empty when none and once unsent",
                            "type": "array",
                            "items": {
                              "title": "Attachment",
                              "type": "object",
                              "required": [
                                "id",
                                "name",
                                "content_type",
                                "size",
                                "width",
                                "height",
                                "url",
                                "thumbnail_url"
                              ],
                              "properties": {
                                "id": {
                                  "description": "The attachment id",
                                  "type": "string"
                                },
                                "name": {
                                  "description": "The file name the sender gave (display text, never a path)",
                                  "type": "string"
                                },
                                "content_type": {
                                  "description": "The stored media type",
                                  "type": "string"
                                },
                                "size": {
                                  "description": "Bytes",
                                  "type": "integer"
                                },
                                "width": {
                                  "type": "integer",
                                  "description": "An image's width in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "height": {
                                  "type": "integer",
                                  "description": "An image's height in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "url": {
                                  "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                                  "type": "string"
                                },
                                "thumbnail_url": {
                                  "type": "string",
                                  "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                                  "nullable": true
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The Idempotency-Key was used before for another recipient or content",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The Idempotency-Key was used before for another recipient or content",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The request body is over the size limit",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The request body is over the size limit",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "429": {
            "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The database or the storage of attachments cannot be reached; nothing was stored",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The database or the storage of attachments cannot be reached; nothing was stored",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/read/": {
      "post": {
        "summary": "Mark a conversation read",
        "tags": [
          "direct messages"
        ],
        "description": "Marks read the unread messages user \`id\` sent the caller (all of them, or those up to message \`up_to\`), and answers how many it marked.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "up_to": {
                    "minimum": 1,
                    "maximum": 9007199254740991,
                    "description": "Mark read only messages up to this message id",
                    "type": "integer"
                  }
                },
                "nullable": true
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "MarkedRead",
                  "type": "object",
                  "required": [
                    "count"
                  ],
                  "properties": {
                    "count": {
                      "description": "How many messages this call marked read",
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/mute/": {
      "put": {
        "summary": "Mute a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Mutes the caller's conversation with user \`id\`, for the caller only: its messages still arrive and count as unread (\`count\`, not \`unmuted_count\` of /unread/), and \`messageSent\` says \`recipientMuted\` so that the host can skip its notification. Muting again is fine; deleting the conversation keeps it muted.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Muted"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Unmute a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Unmutes the caller's conversation with user \`id\`. Unmuting again is fine.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unmuted"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/archive/": {
      "put": {
        "summary": "Archive a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Moves the caller's conversation with user \`id\` from \`/conversations/\` to \`/conversations/?archived=true\`, for the caller only, until a new message is sent in it (either way). Archiving again is fine; deleting the conversation keeps it archived.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Archived"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Unarchive a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Brings the caller's conversation with user \`id\` back to \`/conversations/\`. Unarchiving again is fine.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unarchived"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/send/{id}/": {
      "post": {
        "summary": "Send a message",
        "tags": [
          "direct messages"
        ],
        "description": "Sends \`content\` to user \`id\` and answers the stored message.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "content"
                ],
                "properties": {
                  "content": {
                    "maxLength": 10000,
                    "description": "The message text, stored exactly as given; not empty or only white space, unless the message carries attachments",
                    "type": "string"
                  },
                  "reply_to": {
                    "minimum": 1,
                    "maximum": 9007199254740991,
                    "description": "The id of the message this one answers: a message of this conversation the sender can see",
                    "type": "integer"
                  },
                  "attachments": {
                    "minItems": 1,
                    "maxItems": 10,
                    "description": "Ids of the sender's uploads (\`POST /attachments/\`) the message carries, in this order; with attachments \`content\` may be \`\\"\\"\`. Each is sent once.",
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          },
          {
            "schema": {
              "pattern": "^[\\\\x21-\\\\x7E]{1,255}$",
              "type": "string"
            },
            "in": "header",
            "name": "idempotency-key",
            "required": false,
            "description": "Makes the send safe to retry: the same key from the same sender answers the message the first send created (201, same message) and creates nothing; another recipient or content is a 409. 1–255 visible ASCII characters."
          }
        ],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Message",
                  "type": "object",
                  "required": [
                    "id",
                    "sender",
                    "recipient",
                    "direction",
                    "sent_at",
                    "read_at",
                    "content",
                    "edited_at",
                    "unsent_at",
                    "reply_to",
                    "reactions",
                    "attachments"
                  ],
                  "properties": {
                    "id": {
                      "type": "integer"
                    },
                    "sender": {
                      "description": "Sender user id",
                      "type": "integer"
                    },
                    "recipient": {
                      "description": "Recipient user id",
                      "type": "integer"
                    },
                    "direction": {
                      "type": "string",
                      "enum": [
                        "in",
                        "out"
                      ],
                      "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                    },
                    "sent_at": {
                      "format": "date-time",
                      "type": "string"
                    },
                    "read_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the recipient read it; null while unread",
                      "nullable": true
                    },
                    "content": {
                      "description": "The text; \`\\"\\"\` once unsent",
                      "type": "string"
                    },
                    "edited_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender last edited it; null if never",
                      "nullable": true
                    },
                    "unsent_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender unsent it (a tombstone for both); null if not",
                      "nullable": true
                    },
                    "reply_to": {
                      "title": "ReplyPreview",
                      "type": "object",
                      "required": [
                        "id",
                        "sender",
                        "content",
                        "unsent"
                      ],
                      "properties": {
                        "id": {
                          "type": "integer"
                        },
                        "sender": {
                          "description": "Its sender",
                          "type": "integer"
                        },
                        "content": {
                          "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                          "type": "string"
                        },
                        "unsent": {
                          "type": "boolean"
                        }
                      },
                      "description": "The message this one answers; null if none",
                      "nullable": true
                    },
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    },
                    "attachments": {
                      "description": "The files it carries, in the order sent; empty when none and once unsent",
                      "type": "array",
                      "items": {
                        "title": "Attachment",
                        "type": "object",
                        "required": [
                          "id",
                          "name",
                          "content_type",
                          "size",
                          "width",
                          "height",
                          "url",
                          "thumbnail_url"
                        ],
                        "properties": {
                          "id": {
                            "description": "The attachment id",
                            "type": "string"
                          },
                          "name": {
                            "description": "The file name the sender gave (display text, never a path)",
                            "type": "string"
                          },
                          "content_type": {
                            "description": "The stored media type",
                            "type": "string"
                          },
                          "size": {
                            "description": "Bytes",
                            "type": "integer"
                          },
                          "width": {
                            "type": "integer",
                            "description": "An image's width in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "height": {
                            "type": "integer",
                            "description": "An image's height in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "url": {
                            "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                            "type": "string"
                          },
                          "thumbnail_url": {
                            "type": "string",
                            "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                            "nullable": true
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The Idempotency-Key was used before for another recipient or content",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The Idempotency-Key was used before for another recipient or content",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The request body is over the size limit",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The request body is over the size limit",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "429": {
            "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The database or the storage of attachments cannot be reached; nothing was stored",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The database or the storage of attachments cannot be reached; nothing was stored",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/": {
      "delete": {
        "summary": "Delete a message for yourself",
        "tags": [
          "direct messages"
        ],
        "description": "Hides the message for the caller only; the other participant still sees it. Deleting again is fine.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among the caller's",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among the caller's",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "patch": {
        "summary": "Edit a message",
        "tags": [
          "direct messages"
        ],
        "description": "The sender replaces the content of message \`id\` (within the \`editWindow\` option); the version it replaces is kept in the message's history. The same content again changes nothing.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "content"
                ],
                "properties": {
                  "content": {
                    "maxLength": 10000,
                    "description": "The new text; the rules of a send apply",
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Message",
                  "type": "object",
                  "required": [
                    "id",
                    "sender",
                    "recipient",
                    "direction",
                    "sent_at",
                    "read_at",
                    "content",
                    "edited_at",
                    "unsent_at",
                    "reply_to",
                    "reactions",
                    "attachments"
                  ],
                  "properties": {
                    "id": {
                      "type": "integer"
                    },
                    "sender": {
                      "description": "Sender user id",
                      "type": "integer"
                    },
                    "recipient": {
                      "description": "Recipient user id",
                      "type": "integer"
                    },
                    "direction": {
                      "type": "string",
                      "enum": [
                        "in",
                        "out"
                      ],
                      "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                    },
                    "sent_at": {
                      "format": "date-time",
                      "type": "string"
                    },
                    "read_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the recipient read it; null while unread",
                      "nullable": true
                    },
                    "content": {
                      "description": "The text; \`\\"\\"\` once unsent",
                      "type": "string"
                    },
                    "edited_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender last edited it; null if never",
                      "nullable": true
                    },
                    "unsent_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender unsent it (a tombstone for both); null if not",
                      "nullable": true
                    },
                    "reply_to": {
                      "title": "ReplyPreview",
                      "type": "object",
                      "required": [
                        "id",
                        "sender",
                        "content",
                        "unsent"
                      ],
                      "properties": {
                        "id": {
                          "type": "integer"
                        },
                        "sender": {
                          "description": "Its sender",
                          "type": "integer"
                        },
                        "content": {
                          "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                          "type": "string"
                        },
                        "unsent": {
                          "type": "boolean"
                        }
                      },
                      "description": "The message this one answers; null if none",
                      "nullable": true
                    },
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    },
                    "attachments": {
                      "description": "The files it carries, in the order sent; empty when none and once unsent",
                      "type": "array",
                      "items": {
                        "title": "Attachment",
                        "type": "object",
                        "required": [
                          "id",
                          "name",
                          "content_type",
                          "size",
                          "width",
                          "height",
                          "url",
                          "thumbnail_url"
                        ],
                        "properties": {
                          "id": {
                            "description": "The attachment id",
                            "type": "string"
                          },
                          "name": {
                            "description": "The file name the sender gave (display text, never a path)",
                            "type": "string"
                          },
                          "content_type": {
                            "description": "The stored media type",
                            "type": "string"
                          },
                          "size": {
                            "description": "Bytes",
                            "type": "integer"
                          },
                          "width": {
                            "type": "integer",
                            "description": "An image's width in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "height": {
                            "type": "integer",
                            "description": "An image's height in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "url": {
                            "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                            "type": "string"
                          },
                          "thumbnail_url": {
                            "type": "string",
                            "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                            "nullable": true
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id or body, empty or too long content",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id or body, empty or too long content",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "403": {
            "description": "Only the sender may do this",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Only the sender may do this",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message was unsent, or is past the edit window",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message was unsent, or is past the edit window",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The request body is over the size limit",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The request body is over the size limit",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/edits/": {
      "get": {
        "summary": "Edit history of a message",
        "tags": [
          "direct messages"
        ],
        "description": "The earlier versions of message \`id\`, oldest first, each with when it was replaced; both participants may read them while they see the message. Unsending erases them.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "200": {
            "description": "Earlier versions, oldest first",
            "content": {
              "application/json": {
                "schema": {
                  "description": "Earlier versions, oldest first",
                  "type": "array",
                  "items": {
                    "title": "MessageEdit",
                    "type": "object",
                    "required": [
                      "content",
                      "edited_at"
                    ],
                    "properties": {
                      "content": {
                        "type": "string"
                      },
                      "edited_at": {
                        "format": "date-time",
                        "description": "When this version was replaced",
                        "type": "string"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/unsend/": {
      "post": {
        "summary": "Unsend a message",
        "tags": [
          "direct messages"
        ],
        "description": "The sender takes message \`id\` back for both participants (within the \`unsendWindow\` option): it stays as a tombstone (empty content, no reactions), its history is erased, and it no longer counts as unread. Again: nothing changes.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unsent"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "403": {
            "description": "Only the sender may do this",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Only the sender may do this",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message is past the unsend window",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message is past the unsend window",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/reactions/{emoji}/": {
      "put": {
        "summary": "React to a message",
        "tags": [
          "direct messages"
        ],
        "description": "The caller reacts to message \`id\` with \`emoji\` (URL-encoded): one emoji, or with the \`reactions\` option one of those; once per emoji per user. Answers the message's reactions.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          },
          {
            "schema": {
              "minLength": 1,
              "maxLength": 256,
              "type": "string"
            },
            "in": "path",
            "name": "emoji",
            "required": true,
            "description": "One emoji, URL-encoded (or, with the \`reactions\` option, one of those)"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Reactions",
                  "type": "object",
                  "required": [
                    "reactions"
                  ],
                  "properties": {
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message was unsent, or has the most different reactions allowed",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message was unsent, or has the most different reactions allowed",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Take a reaction back",
        "tags": [
          "direct messages"
        ],
        "description": "The caller takes back their \`emoji\` reaction to message \`id\`. Answers the message's reactions.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          },
          {
            "schema": {
              "minLength": 1,
              "maxLength": 256,
              "type": "string"
            },
            "in": "path",
            "name": "emoji",
            "required": true,
            "description": "One emoji, URL-encoded (or, with the \`reactions\` option, one of those)"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Reactions",
                  "type": "object",
                  "required": [
                    "reactions"
                  ],
                  "properties": {
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message was unsent",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message was unsent",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/blocks/": {
      "get": {
        "summary": "Blocked users",
        "tags": [
          "direct messages"
        ],
        "description": "The users the caller blocks, most recent first, 50 per page (\`page_size\` 1–100).",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "PartnerPage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Partner",
                        "type": "object",
                        "required": [
                          "id",
                          "username",
                          "first_name",
                          "last_name"
                        ],
                        "properties": {
                          "id": {
                            "type": "integer"
                          },
                          "username": {
                            "type": "string"
                          },
                          "first_name": {
                            "type": "string"
                          },
                          "last_name": {
                            "type": "string"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/blocks/{id}/": {
      "post": {
        "summary": "Block a user",
        "tags": [
          "direct messages"
        ],
        "description": "User \`id\` can no longer message the caller (their sends are refused with the same 400 as any refusal). History stays. Blocking again is fine.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Partner",
                  "type": "object",
                  "required": [
                    "id",
                    "username",
                    "first_name",
                    "last_name"
                  ],
                  "properties": {
                    "id": {
                      "type": "integer"
                    },
                    "username": {
                      "type": "string"
                    },
                    "first_name": {
                      "type": "string"
                    },
                    "last_name": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, or blocking yourself",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or blocking yourself",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Unblock a user",
        "tags": [
          "direct messages"
        ],
        "description": "User \`id\` may message the caller again. Unblocking again is fine.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unblocked"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/events/": {
      "get": {
        "summary": "Real-time event stream",
        "tags": [
          "direct messages"
        ],
        "description": "A \`text/event-stream\` of the caller's changes, as they commit, each with an SSE \`id\` (the change id, increasing): \`message\` (a message sent to or by the caller; data: the message object), \`message_updated\` (a message was edited, unsent, reacted to or read; data: the message object as the caller now sees it), \`deleted\` (the caller hid a message on another device; data: \`{id}\`), \`conversation_deleted\` (the caller deleted a conversation on another device; data: \`{partner}\`); after reads of the caller's messages, \`read\` (no SSE id; data: \`{partner, ids, read_at}\`); never replayed and without an SSE id: \`typing\` (data: \`{partner, expires_at}\`) and \`presence\` (data: \`{user, online, last_seen_at}\`). Reconnecting with \`Last-Event-ID\` (or \`?last_event_id=\`) first replays every change since that id; an id whose changes are no longer kept (option \`changeRetention\`) gets \`reset\` first: reload, then follow the stream. Comment lines keep idle streams alive.",
        "parameters": [
          {
            "schema": {
              "pattern": "^(0|[1-9][0-9]{0,15})$",
              "type": "string"
            },
            "in": "query",
            "name": "last_event_id",
            "required": false,
            "description": "Resume after this event id (the SSE \`id\` last received), for clients that cannot send the Last-Event-ID header"
          }
        ],
        "responses": {
          "200": {
            "description": "The event stream",
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "406": {
            "description": "The client does not accept text/event-stream",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The client does not accept text/event-stream",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "429": {
            "description": "The caller already holds the most streams allowed (maxStreamsPerUser)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The caller already holds the most streams allowed (maxStreamsPerUser)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "Real-time delivery is down (the event bus is reconnecting); retry shortly",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Real-time delivery is down (the event bus is reconnecting); retry shortly",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/typing/": {
      "post": {
        "summary": "Say you are typing",
        "tags": [
          "direct messages"
        ],
        "description": "Tells user \`id\`'s event streams that the caller is typing to them (\`typing\` \`{partner, expires_at}\`, 5 s from now). Nothing is stored. Calls less than 2 s apart are sent on once. When user \`id\` could not receive a message from the caller (the messaging policy, a block), the answer is the same 204 and nothing is sent.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 2147483647,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Sent on (or not, see above)"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/presence/": {
      "get": {
        "summary": "Who is online",
        "tags": [
          "direct messages"
        ],
        "description": "For each of \`ids\` (1–100 distinct user ids, comma-separated), whether the user is online (an event stream of theirs is open on any instance) and when their last stream closed. Only the users the caller has a conversation with, and no block between them, are answered truthfully; anyone else reads offline and never seen.",
        "parameters": [
          {
            "schema": {
              "type": "string"
            },
            "in": "query",
            "name": "ids",
            "required": true,
            "description": "User ids, separated by commas"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "title": "Presence",
                    "type": "object",
                    "required": [
                      "id",
                      "online",
                      "last_seen_at"
                    ],
                    "properties": {
                      "id": {
                        "minimum": 1,
                        "maximum": 2147483647,
                        "description": "The other user's id",
                        "type": "integer"
                      },
                      "online": {
                        "description": "An event stream of theirs is open, on any instance",
                        "type": "boolean"
                      },
                      "last_seen_at": {
                        "description": "When their last event stream closed; null: never, or not known to the caller",
                        "format": "date-time",
                        "type": "string",
                        "nullable": true
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/": {
      "post": {
        "summary": "Declare an upload",
        "tags": [
          "direct messages"
        ],
        "description": "Declares a file the caller will send in a message: its name, type and size in bytes. Answers the attachment id (what a send names in \`attachments\`) and the request that sends its bytes: \`upload.method\` to \`upload.url\` with exactly \`upload.headers\`, before \`expires_at\`. The bytes are checked when the attachment is first sent: their size must be the one declared, and the type sniffed from them must be allowed and agree with the declared one.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "name",
                  "content_type",
                  "size"
                ],
                "properties": {
                  "name": {
                    "description": "The file name, shown to the partner (1–255 characters, no control characters); never used as a path",
                    "type": "string"
                  },
                  "content_type": {
                    "description": "The media type, e.g. \`image/png\`; one the \`attachmentTypes\` option allows",
                    "type": "string"
                  },
                  "size": {
                    "description": "Bytes; at most the \`maxAttachmentSize\` option (default 25 MiB)",
                    "type": "number"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "AttachmentUpload",
                  "type": "object",
                  "required": [
                    "id",
                    "upload",
                    "expires_at"
                  ],
                  "properties": {
                    "id": {
                      "type": "string"
                    },
                    "upload": {
                      "type": "object",
                      "required": [
                        "method",
                        "url",
                        "headers"
                      ],
                      "properties": {
                        "method": {
                          "type": "string",
                          "enum": [
                            "PUT"
                          ]
                        },
                        "url": {
                          "description": "Where to send the bytes: the plugin's own route, or a presigned URL of the storage",
                          "type": "string"
                        },
                        "headers": {
                          "description": "Headers the upload must carry",
                          "type": "object",
                          "additionalProperties": {
                            "type": "string"
                          }
                        }
                      }
                    },
                    "expires_at": {
                      "format": "date-time",
                      "description": "When the upload URL expires",
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A name, type or size that is not one (\`FST_DM_INVALID_UPLOAD\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "A name, type or size that is not one (\`FST_DM_INVALID_UPLOAD\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "Larger than the \`maxAttachmentSize\` option (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Larger than the \`maxAttachmentSize\` option (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "415": {
            "description": "A type the \`attachmentTypes\` option does not allow (\`FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "A type the \`attachmentTypes\` option does not allow (\`FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`); nothing was stored",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`); nothing was stored",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/": {
      "get": {
        "summary": "Read an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "Redirects (302) to a fresh signed URL of the bytes of attachment \`id\`, for a participant who sees its message. Anyone else, an unknown id, an unsent message: 404, all alike.",
        "parameters": [
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "responses": {
          "302": {
            "description": "Location: the signed URL"
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No attachment the caller may read has this id (\`FST_DM_ATTACHMENT_NOT_FOUND\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No attachment the caller may read has this id (\`FST_DM_ATTACHMENT_NOT_FOUND\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/upload": {
      "put": {
        "summary": "Upload the bytes of an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "The signed upload URL of \`POST /attachments/\` with local storage: the body is the file's bytes, with the declared Content-Type. More bytes than declared are refused as they arrive (413); fewer: 400; a second upload: 409.",
        "parameters": [
          {
            "schema": {
              "maxLength": 16,
              "type": "string"
            },
            "in": "query",
            "name": "expires",
            "required": false,
            "description": "When the URL expires (Unix seconds), as signed"
          },
          {
            "schema": {
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "signature",
            "required": false,
            "description": "The URL's signature"
          },
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "security": [],
        "responses": {
          "204": {
            "description": "Stored"
          },
          "400": {
            "description": "Another Content-Type than declared (\`FST_DM_INVALID_UPLOAD\`), or fewer bytes than declared (\`FST_DM_INCOMPLETE_UPLOAD\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Another Content-Type than declared (\`FST_DM_INVALID_UPLOAD\`), or fewer bytes than declared (\`FST_DM_INCOMPLETE_UPLOAD\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "403": {
            "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The upload is gone (it expired)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The upload is gone (it expired)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The bytes were uploaded already (\`FST_DM_ALREADY_UPLOADED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The bytes were uploaded already (\`FST_DM_ALREADY_UPLOADED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "More bytes than declared (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "More bytes than declared (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/file": {
      "get": {
        "summary": "The bytes of an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "A signed URL of a message's file (or thumbnail), as messages carry them: the bytes with their stored type, \`X-Content-Type-Options: nosniff\`, \`Content-Security-Policy: sandbox\` and \`Content-Disposition: attachment\` (inline for images of safe types). Range requests are served (206). With a storage that serves files itself, a redirect (302) to its presigned URL.",
        "parameters": [
          {
            "schema": {
              "maxLength": 16,
              "type": "string"
            },
            "in": "query",
            "name": "expires",
            "required": false,
            "description": "When the URL expires (Unix seconds), as signed"
          },
          {
            "schema": {
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "signature",
            "required": false,
            "description": "The URL's signature"
          },
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "security": [],
        "responses": {
          "403": {
            "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The file is no message's any more (unsent, or deleted by both participants)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The file is no message's any more (unsent, or deleted by both participants)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/thumbnail": {
      "get": {
        "summary": "The bytes of an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "A signed URL of a message's file (or thumbnail), as messages carry them: the bytes with their stored type, \`X-Content-Type-Options: nosniff\`, \`Content-Security-Policy: sandbox\` and \`Content-Disposition: attachment\` (inline for images of safe types). Range requests are served (206). With a storage that serves files itself, a redirect (302) to its presigned URL.",
        "parameters": [
          {
            "schema": {
              "maxLength": 16,
              "type": "string"
            },
            "in": "query",
            "name": "expires",
            "required": false,
            "description": "When the URL expires (Unix seconds), as signed"
          },
          {
            "schema": {
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "signature",
            "required": false,
            "description": "The URL's signature"
          },
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "security": [],
        "responses": {
          "403": {
            "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The file is no message's any more (unsent, or deleted by both participants)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The file is no message's any more (unsent, or deleted by both participants)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/users": {
      "post": {
        "summary": "Create a user",
        "tags": [
          "users"
        ],
        "description": "Creates a demo user and answers its API token.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "username"
                ],
                "properties": {
                  "username": {
                    "minLength": 1,
                    "maxLength": 150,
                    "pattern": "^[\\\\w.@+-]+$",
                    "description": "Letters, digits and @.+-_ only",
                    "type": "string"
                  },
                  "first_name": {
                    "maxLength": 150,
                    "type": "string"
                  },
                  "last_name": {
                    "maxLength": 150,
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "security": [],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "id",
                    "username",
                    "first_name",
                    "last_name",
                    "token"
                  ],
                  "properties": {
                    "id": {
                      "anyOf": [
                        {
                          "type": "integer"
                        },
                        {
                          "type": "string"
                        }
                      ]
                    },
                    "username": {
                      "type": "string"
                    },
                    "first_name": {
                      "type": "string"
                    },
                    "last_name": {
                      "type": "string"
                    },
                    "token": {
                      "description": "Send as \`Authorization: Token <token>\` (or \`Bearer <token>\`)",
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/users/": {
      "get": {
        "summary": "Find a user by username",
        "tags": [
          "users"
        ],
        "description": "Answers the user named \`username\`, to start a conversation with them.",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 150,
              "pattern": "^[\\\\w.@+-]+$",
              "type": "string"
            },
            "in": "query",
            "name": "username",
            "required": true,
            "description": "Letters, digits and @.+-_ only"
          }
        ],
        "security": [
          {
            "token": []
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "id",
                    "username",
                    "first_name",
                    "last_name"
                  ],
                  "properties": {
                    "id": {
                      "anyOf": [
                        {
                          "type": "integer"
                        },
                        {
                          "type": "string"
                        }
                      ]
                    },
                    "username": {
                      "type": "string"
                    },
                    "first_name": {
                      "type": "string"
                    },
                    "last_name": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  },
  "security": [
    {
      "token": []
    }
  ]
}
`

exports[`test/host/openapi.test.ts > TAP > the OpenAPI document is unchanged (string ids) > the document 1`] = `
{
  "openapi": "3.0.3",
  "info": {
    "title": "fastify-directmessages example",
    "description": "Direct messages between users. Create a user with POST /users, then authorise with its token.",
    "version": "0.1.0"
  },
  "components": {
    "securitySchemes": {
      "token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "\`Token <token>\` or \`Bearer <token>\`"
      }
    },
    "schemas": {}
  },
  "paths": {
    "/api/dm/unread/": {
      "get": {
        "summary": "Unread message count",
        "tags": [
          "direct messages"
        ],
        "description": "The caller's id, the number of unread messages addressed to them that they have not deleted, and (\`unmuted_count\`) how many of those are in conversations they have not muted.",
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "UnreadCount",
                  "type": "object",
                  "required": [
                    "id",
                    "count",
                    "unmuted_count"
                  ],
                  "properties": {
                    "id": {
                      "description": "The caller's user id",
                      "type": "string"
                    },
                    "count": {
                      "description": "Unread messages addressed to the caller and not deleted by them",
                      "type": "integer"
                    },
                    "unmuted_count": {
                      "description": "Those of them in conversations the caller has not muted",
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/": {
      "get": {
        "summary": "Conversation partners",
        "tags": [
          "direct messages"
        ],
        "description": "The users the caller has conversations with, most recent activity first, 50 per page (\`page_size\` 1–100), each with the caller's unread count, the newest message and whether the caller muted or archived it. Archived conversations are listed only with \`archived=true\` (and then only they: each list has its own cursors). A conversation whose every message the caller deleted is not listed.",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          },
          {
            "schema": {
              "type": "boolean"
            },
            "in": "query",
            "name": "archived",
            "required": false,
            "description": "true: list the archived conversations only; false (the default): the others only"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "ConversationPage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Conversation",
                        "type": "object",
                        "required": [
                          "id",
                          "username",
                          "first_name",
                          "last_name",
                          "unread_count",
                          "last_message",
                          "muted",
                          "archived"
                        ],
                        "properties": {
                          "id": {
                            "type": "string"
                          },
                          "username": {
                            "type": "string"
                          },
                          "first_name": {
                            "type": "string"
                          },
                          "last_name": {
                            "type": "string"
                          },
                          "unread_count": {
                            "description": "Unread messages from this partner",
                            "type": "integer"
                          },
                          "last_message": {
                            "title": "Message",
                            "type": "object",
                            "required": [
                              "id",
                              "sender",
                              "recipient",
                              "direction",
                              "sent_at",
                              "read_at",
                              "content",
                              "edited_at",
                              "unsent_at",
                              "reply_to",
                              "reactions",
                              "attachments"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "sender": {
                                "description": "Sender user id",
                                "type": "string"
                              },
                              "recipient": {
                                "description": "Recipient user id",
                                "type": "string"
                              },
                              "direction": {
                                "type": "string",
                                "enum": [
                                  "in",
                                  "out"
                                ],
                                "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                              },
                              "sent_at": {
                                "format": "date-time",
                                "type": "string"
                              },
                              "read_at": {
                                "format": "date-time",
                                "type": "string",
                                "description": "When the recipient read it; null while unread",
                                "nullable": true
                              },
                              "content": {
                                "description": "The text; \`\\"\\"\` once unsent",
                                "type": "string"
                              },
                              "edited_at": {
                                "format": "date-time",
                                "type": "string",
                                "description": "When the sender last edited it; null if never",
                                "nullable": true
                              },
                              "unsent_at": {
                                "format": "date-time",
                                "type": "string",
                                "description": "When the sender unsent it (a tombstone for both); null if not",
                                "nullable": true
                              },
                              "reply_to": {
                                "title": "ReplyPreview",
                                "type": "object",
                                "required": [
                                  "id",
                                  "sender",
                                  "content",
                                  "unsent"
                                ],
                                "properties": {
                                  "id": {
                                    "type": "integer"
                                  },
                                  "sender": {
                                    "description": "Its sender",
                                    "type": "string"
                                  },
                                  "content": {
                                    "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                                    "type": "string"
                                  },
                                  "unsent": {
                                    "type": "boolean"
                                  }
                                },
                                "description": "The message this one answers; null if none",
                                "nullable": true
                              },
                              "reactions": {
                                "description": "One entry per emoji, in the order first used; empty once unsent",
                                "type": "array",
                                "items": {
                                  "title": "Reaction",
                                  "type": "object",
                                  "required": [
                                    "emoji",
                                    "count",
                                    "me"
                                  ],
                                  "properties": {
                                    "emoji": {
                                      "type": "string"
                                    },
                                    "count": {
                                      "minimum": 1,
                                      "description": "How many users reacted with it",
                                      "type": "integer"
                                    },
                                    "me": {
                                      "description": "Whether the caller did",
                                      "type": "boolean"
                                    }
                                  }
                                }
                              },
                              "attachments": {
                                "description": "The files it carries, in the order sent; empty when none and once unsent",
                                "type": "array",
                                "items": {
                                  "title": "Attachment",
                                  "type": "object",
                                  "required": [
                                    "id",
                                    "name",
                                    "content_type",
                                    "size",
                                    "width",
                                    "height",
                                    "url",
                                    "thumbnail_url"
                                  ],
                                  "properties": {
                                    "id": {
                                      "description": "The attachment id",
                                      "type": "string"
                                    },
                                    "name": {
                                      "description": "The file name the sender gave (display text, never a path)",
                                      "type": "string"
                                    },
                                    "content_type": {
                                      "description": "The stored media type",
                                      "type": "string"
                                    },
                                    "size": {
                                      "description": "Bytes",
                                      "type": "integer"
                                    },
                                    "width": {
                                      "type": "integer",
                                      "description": "An image's width in pixels as displayed; null for other files",
                                      "nullable": true
                                    },
                                    "height": {
                                      "type": "integer",
                                      "description": "An image's height in pixels as displayed; null for other files",
                                      "nullable": true
                                    },
                                    "url": {
                                      "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                                      "type": "string"
                                    },
                                    "thumbnail_url": {
                                      "type": "string",
                                      "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                                      "nullable": true
                                    }
                                  }
                                }
                              }
                            },
                            "description": "The newest message of the conversation the caller has not deleted",
                            "nullable": true
                          },
                          "muted": {
                            "description": "The caller muted it: its messages count in \`count\` of /unread/, not in \`unmuted_count\`",
                            "type": "boolean"
                          },
                          "archived": {
                            "description": "The caller archived it: listed by \`?archived=true\` only, until a new message arrives",
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/unread/": {
      "get": {
        "summary": "Unread counts per conversation",
        "tags": [
          "direct messages"
        ],
        "description": "One entry per partner with unread messages for the caller, most recent activity first, muted and archived conversations included (\`muted\` says which are muted).",
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "title": "UnreadConversation",
                    "type": "object",
                    "required": [
                      "partner_id",
                      "partner_username",
                      "unread_count",
                      "muted"
                    ],
                    "properties": {
                      "partner_id": {
                        "type": "string"
                      },
                      "partner_username": {
                        "type": "string"
                      },
                      "unread_count": {
                        "minimum": 1,
                        "type": "integer"
                      },
                      "muted": {
                        "description": "The caller muted this conversation (its messages still count as unread)",
                        "type": "boolean"
                      }
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/": {
      "get": {
        "summary": "Messages of a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "The messages between the caller and user \`id\`, newest first, 50 per page (\`page_size\` 1–100). Marks every unread message of this conversation addressed to the caller as read (not only those on the page), unless \`mark_read=false\`.",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          },
          {
            "schema": {
              "type": "boolean"
            },
            "in": "query",
            "name": "mark_read",
            "required": false,
            "description": "false: show the page without marking anything read (default true)"
          },
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "MessagePage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Message",
                        "type": "object",
                        "required": [
                          "id",
                          "sender",
                          "recipient",
                          "direction",
                          "sent_at",
                          "read_at",
                          "content",
                          "edited_at",
                          "unsent_at",
                          "reply_to",
                          "reactions",
                          "attachments"
                        ],
                        "properties": {
                          "id": {
                            "type": "integer"
                          },
                          "sender": {
                            "description": "Sender user id",
                            "type": "string"
                          },
                          "recipient": {
                            "description": "Recipient user id",
                            "type": "string"
                          },
                          "direction": {
                            "type": "string",
                            "enum": [
                              "in",
                              "out"
                            ],
                            "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                          },
                          "sent_at": {
                            "format": "date-time",
                            "type": "string"
                          },
                          "read_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the recipient read it; null while unread",
                            "nullable": true
                          },
                          "content": {
                            "description": "The text; \`\\"\\"\` once unsent",
                            "type": "string"
                          },
                          "edited_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender last edited it; null if never",
                            "nullable": true
                          },
                          "unsent_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender unsent it (a tombstone for both); null if not",
                            "nullable": true
                          },
                          "reply_to": {
                            "title": "ReplyPreview",
                            "type": "object",
                            "required": [
                              "id",
                              "sender",
                              "content",
                              "unsent"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "sender": {
                                "description": "Its sender",
                                "type": "string"
                              },
                              "content": {
                                "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                                "type": "string"
                              },
                              "unsent": {
                                "type": "boolean"
                              }
                            },
                            "description": "The message this one answers; null if none",
                            "nullable": true
                          },
                          "reactions": {
                            "description": "One entry per emoji, in the order first used; empty once unsent",
                            "type": "array",
                            "items": {
                              "title": "Reaction",
                              "type": "object",
                              "required": [
                                "emoji",
                                "count",
                                "me"
                              ],
                              "properties": {
                                "emoji": {
                                  "type": "string"
                                },
                                "count": {
                                  "minimum": 1,
                                  "description": "How many users reacted with it",
                                  "type": "integer"
                                },
                                "me": {
                                  "description": "Whether the caller did",
                                  "type": "boolean"
                                }
                              }
                            }
                          },
                          "attachments": {
                            "description": "The files it carries, in the order sent; empty when none and once unsent",
                            "type": "array",
                            "items": {
                              "title": "Attachment",
                              "type": "object",
                              "required": [
                                "id",
                                "name",
                                "content_type",
                                "size",
                                "width",
                                "height",
                                "url",
                                "thumbnail_url"
                              ],
                              "properties": {
                                "id": {
                                  "description": "The attachment id",
                                  "type": "string"
                                },
                                "name": {
                                  "description": "The file name the sender gave (display text, never a path)",
                                  "type": "string"
                                },
                                "content_type": {
                                  "description": "The stored media type",
                                  "type": "string"
                                },
                                "size": {
                                  "description": "Bytes",
                                  "type": "integer"
                                },
                                "width": {
                                  "type": "integer",
                                  "description": "An image's width in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "height": {
                                  "type": "integer",
                                  "description": "An image's height in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "url": {
                                  "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                                  "type": "string"
                                },
                                "thumbnail_url": {
                                  "type": "string",
                                  "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                                  "nullable": true
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Delete a conversation for yourself",
        "tags": [
          "direct messages"
        ],
        "description": "Hides every current message of the conversation with user \`id\` for the caller; the partner keeps theirs. A later message brings the conversation back.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "post": {
        "summary": "Send a message in a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Sends \`content\` to user \`id\`, then answers the first page of the conversation, as GET does.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "content"
                ],
                "properties": {
                  "content": {
                    "maxLength": 10000,
                    "description": "The message text, stored exactly as given; not empty or only white space, unless the message carries attachments",
                    "type": "string"
                  },
                  "reply_to": {
                    "minimum": 1,
                    "maximum": 9007199254740991,
                    "description": "The id of the message this one answers: a message of this conversation the sender can see",
                    "type": "integer"
                  },
                  "attachments": {
                    "minItems": 1,
                    "maxItems": 10,
                    "description": "Ids of the sender's uploads (\`POST /attachments/\`) the message carries, in this order; with attachments \`content\` may be \`\\"\\"\`. Each is sent once.",
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          },
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          },
          {
            "schema": {
              "pattern": "^[\\\\x21-\\\\x7E]{1,255}$",
              "type": "string"
            },
            "in": "header",
            "name": "idempotency-key",
            "required": false,
            "description": "Makes the send safe to retry: the same key from the same sender answers the message the first send created (201, same message) and creates nothing; another recipient or content is a 409. 1–255 visible ASCII characters."
          }
        ],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "MessagePage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Message",
                        "type": "object",
                        "required": [
                          "id",
                          "sender",
                          "recipient",
                          "direction",
                          "sent_at",
                          "read_at",
                          "content",
                          "edited_at",
                          "unsent_at",
                          "reply_to",
                          "reactions",
                          "attachments"
                        ],
                        "properties": {
                          "id": {
                            "type": "integer"
                          },
                          "sender": {
                            "description": "Sender user id",
                            "type": "string"
                          },
                          "recipient": {
                            "description": "Recipient user id",
                            "type": "string"
                          },
                          "direction": {
                            "type": "string",
                            "enum": [
                              "in",
                              "out"
                            ],
                            "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                          },
                          "sent_at": {
                            "format": "date-time",
                            "type": "string"
                          },
                          "read_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the recipient read it; null while unread",
                            "nullable": true
                          },
                          "content": {
                            "description": "The text; \`\\"\\"\` once unsent",
                            "type": "string"
                          },
                          "edited_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender last edited it; null if never",
                            "nullable": true
                          },
                          "unsent_at": {
                            "format": "date-time",
                            "type": "string",
                            "description": "When the sender unsent it (a tombstone for both); null if not",
                            "nullable": true
                          },
                          "reply_to": {
                            "title": "ReplyPreview",
                            "type": "object",
                            "required": [
                              "id",
                              "sender",
                              "content",
                              "unsent"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "sender": {
                                "description": "Its sender",
                                "type": "string"
                              },
                              "content": {
                                "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                                "type": "string"
                              },
                              "unsent": {
                                "type": "boolean"
                              }
                            },
                            "description": "The message this one answers; null if none",
                            "nullable": true
                          },
                          "reactions": {
                            "description": "One entry per emoji, in the order first used; empty once unsent",
                            "type": "array",
                            "items": {
                              "title": "Reaction",
                              "type": "object",
                              "required": [
                                "emoji",
                                "count",
                                "me"
                              ],
                              "properties": {
                                "emoji": {
                                  "type": "string"
                                },
                                "count": {
                                  "minimum": 1,
                                  "description": "How many users reacted with it",
                                  "type": "integer"
                                },
                                "me": {
                                  "description": "Whether the caller did",
                                  "type": "boolean"
                                }
                              }
                            }
                          },
                          "attachments": {
                            "description": "The files it carries, in the order sent; empty when none and once unsent",
                            "type": "array",
                            "items": {
                              "title": "Attachment",
                              "type": "object",
                              "required": [
                                "id",
                                "name",
                                "content_type",
                                "size",
                                "width",
                                "height",
                                "url",
                                "thumbnail_url"
                              ],
                              "properties": {
                                "id": {
                                  "description": "The attachment id",
                                  "type": "string"
                                },
                                "name": {
                                  "description": "The file name the sender gave (display text, never a path)",
                                  "type": "string"
                                },
                                "content_type": {
                                  "description": "The stored media type",
                                  "type": "string"
                                },
                                "size": {
                                  "description": "Bytes",
                                  "type": "integer"
                                },
                                "width": {
                                  "type": "integer",
                                  "description": "An image's width in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "height": {
                                  "type": "integer",
                                  "description": "An image's height in pixels as displayed; null for other files",
                                  "nullable": true
                                },
                                "url": {
                                  "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                                  "type": "string"
                                },
                                "thumbnail_url": {
                                  "type": "string",
                                  "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                                  "nullable": true
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The Idempotency-Key was used before for another recipient or content",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The Idempotency-Key was used before for another recipient or content",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The request body is over the size limit",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The request body is over the size limit",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "429": {
            "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The database or the storage of attachments cannot be reached; nothing was stored",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The database or the storage of attachments cannot be reached; nothing was stored",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/read/": {
      "post": {
        "summary": "Mark a conversation read",
        "tags": [
          "direct messages"
        ],
        "description": "Marks read the unread messages user \`id\` sent the caller (all of them, or those up to message \`up_to\`), and answers how many it marked.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "up_to": {
                    "minimum": 1,
                    "maximum": 9007199254740991,
                    "description": "Mark read only messages up to this message id",
                    "type": "integer"
                  }
                },
                "nullable": true
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "MarkedRead",
                  "type": "object",
                  "required": [
                    "count"
                  ],
                  "properties": {
                    "count": {
                      "description": "How many messages this call marked read",
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/mute/": {
      "put": {
        "summary": "Mute a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Mutes the caller's conversation with user \`id\`, for the caller only: its messages still arrive and count as unread (\`count\`, not \`unmuted_count\` of /unread/), and \`messageSent\` says \`recipientMuted\` so that the host can skip its notification. Muting again is fine; deleting the conversation keeps it muted.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Muted"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Unmute a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Unmutes the caller's conversation with user \`id\`. Unmuting again is fine.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unmuted"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/archive/": {
      "put": {
        "summary": "Archive a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Moves the caller's conversation with user \`id\` from \`/conversations/\` to \`/conversations/?archived=true\`, for the caller only, until a new message is sent in it (either way). Archiving again is fine; deleting the conversation keeps it archived.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Archived"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Unarchive a conversation",
        "tags": [
          "direct messages"
        ],
        "description": "Brings the caller's conversation with user \`id\` back to \`/conversations/\`. Unarchiving again is fine.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unarchived"
          },
          "400": {
            "description": "Malformed id, or your own id",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or your own id",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "You have no conversation with this user (or the user does not exist)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "You have no conversation with this user (or the user does not exist)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/send/{id}/": {
      "post": {
        "summary": "Send a message",
        "tags": [
          "direct messages"
        ],
        "description": "Sends \`content\` to user \`id\` and answers the stored message.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "content"
                ],
                "properties": {
                  "content": {
                    "maxLength": 10000,
                    "description": "The message text, stored exactly as given; not empty or only white space, unless the message carries attachments",
                    "type": "string"
                  },
                  "reply_to": {
                    "minimum": 1,
                    "maximum": 9007199254740991,
                    "description": "The id of the message this one answers: a message of this conversation the sender can see",
                    "type": "integer"
                  },
                  "attachments": {
                    "minItems": 1,
                    "maxItems": 10,
                    "description": "Ids of the sender's uploads (\`POST /attachments/\`) the message carries, in this order; with attachments \`content\` may be \`\\"\\"\`. Each is sent once.",
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          },
          {
            "schema": {
              "pattern": "^[\\\\x21-\\\\x7E]{1,255}$",
              "type": "string"
            },
            "in": "header",
            "name": "idempotency-key",
            "required": false,
            "description": "Makes the send safe to retry: the same key from the same sender answers the message the first send created (201, same message) and creates nothing; another recipient or content is a 409. 1–255 visible ASCII characters."
          }
        ],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Message",
                  "type": "object",
                  "required": [
                    "id",
                    "sender",
                    "recipient",
                    "direction",
                    "sent_at",
                    "read_at",
                    "content",
                    "edited_at",
                    "unsent_at",
                    "reply_to",
                    "reactions",
                    "attachments"
                  ],
                  "properties": {
                    "id": {
                      "type": "integer"
                    },
                    "sender": {
                      "description": "Sender user id",
                      "type": "string"
                    },
                    "recipient": {
                      "description": "Recipient user id",
                      "type": "string"
                    },
                    "direction": {
                      "type": "string",
                      "enum": [
                        "in",
                        "out"
                      ],
                      "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                    },
                    "sent_at": {
                      "format": "date-time",
                      "type": "string"
                    },
                    "read_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the recipient read it; null while unread",
                      "nullable": true
                    },
                    "content": {
                      "description": "The text; \`\\"\\"\` once unsent",
                      "type": "string"
                    },
                    "edited_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender last edited it; null if never",
                      "nullable": true
                    },
                    "unsent_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender unsent it (a tombstone for both); null if not",
                      "nullable": true
                    },
                    "reply_to": {
                      "title": "ReplyPreview",
                      "type": "object",
                      "required": [
                        "id",
                        "sender",
                        "content",
                        "unsent"
                      ],
                      "properties": {
                        "id": {
                          "type": "integer"
                        },
                        "sender": {
                          "description": "Its sender",
                          "type": "string"
                        },
                        "content": {
                          "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                          "type": "string"
                        },
                        "unsent": {
                          "type": "boolean"
                        }
                      },
                      "description": "The message this one answers; null if none",
                      "nullable": true
                    },
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    },
                    "attachments": {
                      "description": "The files it carries, in the order sent; empty when none and once unsent",
                      "type": "array",
                      "items": {
                        "title": "Attachment",
                        "type": "object",
                        "required": [
                          "id",
                          "name",
                          "content_type",
                          "size",
                          "width",
                          "height",
                          "url",
                          "thumbnail_url"
                        ],
                        "properties": {
                          "id": {
                            "description": "The attachment id",
                            "type": "string"
                          },
                          "name": {
                            "description": "The file name the sender gave (display text, never a path)",
                            "type": "string"
                          },
                          "content_type": {
                            "description": "The stored media type",
                            "type": "string"
                          },
                          "size": {
                            "description": "Bytes",
                            "type": "integer"
                          },
                          "width": {
                            "type": "integer",
                            "description": "An image's width in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "height": {
                            "type": "integer",
                            "description": "An image's height in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "url": {
                            "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                            "type": "string"
                          },
                          "thumbnail_url": {
                            "type": "string",
                            "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                            "nullable": true
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (\`FST_DM_INVALID_ATTACHMENT\`, \`FST_DM_ATTACHMENT_REJECTED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The Idempotency-Key was used before for another recipient or content",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The Idempotency-Key was used before for another recipient or content",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The request body is over the size limit",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The request body is over the size limit",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "429": {
            "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Too many sends (only with the sendRateLimit option); see Retry-After",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The database or the storage of attachments cannot be reached; nothing was stored",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The database or the storage of attachments cannot be reached; nothing was stored",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/": {
      "delete": {
        "summary": "Delete a message for yourself",
        "tags": [
          "direct messages"
        ],
        "description": "Hides the message for the caller only; the other participant still sees it. Deleting again is fine.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among the caller's",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among the caller's",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "patch": {
        "summary": "Edit a message",
        "tags": [
          "direct messages"
        ],
        "description": "The sender replaces the content of message \`id\` (within the \`editWindow\` option); the version it replaces is kept in the message's history. The same content again changes nothing.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "content"
                ],
                "properties": {
                  "content": {
                    "maxLength": 10000,
                    "description": "The new text; the rules of a send apply",
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Message",
                  "type": "object",
                  "required": [
                    "id",
                    "sender",
                    "recipient",
                    "direction",
                    "sent_at",
                    "read_at",
                    "content",
                    "edited_at",
                    "unsent_at",
                    "reply_to",
                    "reactions",
                    "attachments"
                  ],
                  "properties": {
                    "id": {
                      "type": "integer"
                    },
                    "sender": {
                      "description": "Sender user id",
                      "type": "string"
                    },
                    "recipient": {
                      "description": "Recipient user id",
                      "type": "string"
                    },
                    "direction": {
                      "type": "string",
                      "enum": [
                        "in",
                        "out"
                      ],
                      "description": "\`in\`: the caller received it; \`out\`: the caller sent it"
                    },
                    "sent_at": {
                      "format": "date-time",
                      "type": "string"
                    },
                    "read_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the recipient read it; null while unread",
                      "nullable": true
                    },
                    "content": {
                      "description": "The text; \`\\"\\"\` once unsent",
                      "type": "string"
                    },
                    "edited_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender last edited it; null if never",
                      "nullable": true
                    },
                    "unsent_at": {
                      "format": "date-time",
                      "type": "string",
                      "description": "When the sender unsent it (a tombstone for both); null if not",
                      "nullable": true
                    },
                    "reply_to": {
                      "title": "ReplyPreview",
                      "type": "object",
                      "required": [
                        "id",
                        "sender",
                        "content",
                        "unsent"
                      ],
                      "properties": {
                        "id": {
                          "type": "integer"
                        },
                        "sender": {
                          "description": "Its sender",
                          "type": "string"
                        },
                        "content": {
                          "description": "Its current content, cut to 200 characters; \`\\"\\"\` once unsent",
                          "type": "string"
                        },
                        "unsent": {
                          "type": "boolean"
                        }
                      },
                      "description": "The message this one answers; null if none",
                      "nullable": true
                    },
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    },
                    "attachments": {
                      "description": "The files it carries, in the order sent; empty when none and once unsent",
                      "type": "array",
                      "items": {
                        "title": "Attachment",
                        "type": "object",
                        "required": [
                          "id",
                          "name",
                          "content_type",
                          "size",
                          "width",
                          "height",
                          "url",
                          "thumbnail_url"
                        ],
                        "properties": {
                          "id": {
                            "description": "The attachment id",
                            "type": "string"
                          },
                          "name": {
                            "description": "The file name the sender gave (display text, never a path)",
                            "type": "string"
                          },
                          "content_type": {
                            "description": "The stored media type",
                            "type": "string"
                          },
                          "size": {
                            "description": "Bytes",
                            "type": "integer"
                          },
                          "width": {
                            "type": "integer",
                            "description": "An image's width in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "height": {
                            "type": "integer",
                            "description": "An image's height in pixels as displayed; null for other files",
                            "nullable": true
                          },
                          "url": {
                            "description": "A signed URL of the bytes, issued for this read; it expires after the \`attachmentUrlTtl\` option's time",
                            "type": "string"
                          },
                          "thumbnail_url": {
                            "type": "string",
                            "description": "A signed URL of an image's thumbnail (longest side at most 320 px); null for other files",
                            "nullable": true
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id or body, empty or too long content",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id or body, empty or too long content",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "403": {
            "description": "Only the sender may do this",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Only the sender may do this",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message was unsent, or is past the edit window",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message was unsent, or is past the edit window",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The request body is over the size limit",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The request body is over the size limit",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/edits/": {
      "get": {
        "summary": "Edit history of a message",
        "tags": [
          "direct messages"
        ],
        "description": "The earlier versions of message \`id\`, oldest first, each with when it was replaced; both participants may read them while they see the message. Unsending erases them.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "200": {
            "description": "Earlier versions, oldest first",
            "content": {
              "application/json": {
                "schema": {
                  "description": "Earlier versions, oldest first",
                  "type": "array",
                  "items": {
                    "title": "MessageEdit",
                    "type": "object",
                    "required": [
                      "content",
                      "edited_at"
                    ],
                    "properties": {
                      "content": {
                        "type": "string"
                      },
                      "edited_at": {
                        "format": "date-time",
                        "description": "When this version was replaced",
                        "type": "string"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/unsend/": {
      "post": {
        "summary": "Unsend a message",
        "tags": [
          "direct messages"
        ],
        "description": "The sender takes message \`id\` back for both participants (within the \`unsendWindow\` option): it stays as a tombstone (empty content, no reactions), its history is erased, and it no longer counts as unread. Again: nothing changes.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unsent"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "403": {
            "description": "Only the sender may do this",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Only the sender may do this",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message is past the unsend window",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message is past the unsend window",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/messages/{id}/reactions/{emoji}/": {
      "put": {
        "summary": "React to a message",
        "tags": [
          "direct messages"
        ],
        "description": "The caller reacts to message \`id\` with \`emoji\` (URL-encoded): one emoji, or with the \`reactions\` option one of those; once per emoji per user. Answers the message's reactions.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          },
          {
            "schema": {
              "minLength": 1,
              "maxLength": 256,
              "type": "string"
            },
            "in": "path",
            "name": "emoji",
            "required": true,
            "description": "One emoji, URL-encoded (or, with the \`reactions\` option, one of those)"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Reactions",
                  "type": "object",
                  "required": [
                    "reactions"
                  ],
                  "properties": {
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message was unsent, or has the most different reactions allowed",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message was unsent, or has the most different reactions allowed",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Take a reaction back",
        "tags": [
          "direct messages"
        ],
        "description": "The caller takes back their \`emoji\` reaction to message \`id\`. Answers the message's reactions.",
        "parameters": [
          {
            "schema": {
              "minimum": 1,
              "maximum": 9007199254740991,
              "type": "integer"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The message id"
          },
          {
            "schema": {
              "minLength": 1,
              "maxLength": 256,
              "type": "string"
            },
            "in": "path",
            "name": "emoji",
            "required": true,
            "description": "One emoji, URL-encoded (or, with the \`reactions\` option, one of those)"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Reactions",
                  "type": "object",
                  "required": [
                    "reactions"
                  ],
                  "properties": {
                    "reactions": {
                      "description": "One entry per emoji, in the order first used; empty once unsent",
                      "type": "array",
                      "items": {
                        "title": "Reaction",
                        "type": "object",
                        "required": [
                          "emoji",
                          "count",
                          "me"
                        ],
                        "properties": {
                          "emoji": {
                            "type": "string"
                          },
                          "count": {
                            "minimum": 1,
                            "description": "How many users reacted with it",
                            "type": "integer"
                          },
                          "me": {
                            "description": "Whether the caller did",
                            "type": "boolean"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or a reaction that is not one emoji (or not one of those allowed)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No such message among those the caller can see",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No such message among those the caller can see",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The message was unsent",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The message was unsent",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/blocks/": {
      "get": {
        "summary": "Blocked users",
        "tags": [
          "direct messages"
        ],
        "description": "The users the caller blocks, most recent first, 50 per page (\`page_size\` 1–100).",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "cursor",
            "required": false,
            "description": "Opaque cursor from a \`next\` or \`previous\` link"
          },
          {
            "schema": {
              "minimum": 1,
              "maximum": 100,
              "type": "integer"
            },
            "in": "query",
            "name": "page_size",
            "required": false,
            "description": "Items per page (default 50)"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "PartnerPage",
                  "type": "object",
                  "required": [
                    "next",
                    "previous",
                    "results"
                  ],
                  "properties": {
                    "next": {
                      "type": "string",
                      "description": "Absolute URL of the next (older) page; null at the end",
                      "nullable": true
                    },
                    "previous": {
                      "type": "string",
                      "description": "Absolute URL of the previous (newer) page; null on the first page",
                      "nullable": true
                    },
                    "results": {
                      "type": "array",
                      "items": {
                        "title": "Partner",
                        "type": "object",
                        "required": [
                          "id",
                          "username",
                          "first_name",
                          "last_name"
                        ],
                        "properties": {
                          "id": {
                            "type": "string"
                          },
                          "username": {
                            "type": "string"
                          },
                          "first_name": {
                            "type": "string"
                          },
                          "last_name": {
                            "type": "string"
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/blocks/{id}/": {
      "post": {
        "summary": "Block a user",
        "tags": [
          "direct messages"
        ],
        "description": "User \`id\` can no longer message the caller (their sends are refused with the same 400 as any refusal). History stays. Blocking again is fine.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Partner",
                  "type": "object",
                  "required": [
                    "id",
                    "username",
                    "first_name",
                    "last_name"
                  ],
                  "properties": {
                    "id": {
                      "type": "string"
                    },
                    "username": {
                      "type": "string"
                    },
                    "first_name": {
                      "type": "string"
                    },
                    "last_name": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, or blocking yourself",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, or blocking yourself",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "delete": {
        "summary": "Unblock a user",
        "tags": [
          "direct messages"
        ],
        "description": "User \`id\` may message the caller again. Unblocking again is fine.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Unblocked"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/events/": {
      "get": {
        "summary": "Real-time event stream",
        "tags": [
          "direct messages"
        ],
        "description": "A \`text/event-stream\` of the caller's changes, as they commit, each with an SSE \`id\` (the change id, increasing): \`message\` (a message sent to or by the caller; data: the message object), \`message_updated\` (a message was edited, unsent, reacted to or read; data: the message object as the caller now sees it), \`deleted\` (the caller hid a message on another device; data: \`{id}\`), \`conversation_deleted\` (the caller deleted a conversation on another device; data: \`{partner}\`); after reads of the caller's messages, \`read\` (no SSE id; data: \`{partner, ids, read_at}\`); never replayed and without an SSE id: \`typing\` (data: \`{partner, expires_at}\`) and \`presence\` (data: \`{user, online, last_seen_at}\`). Reconnecting with \`Last-Event-ID\` (or \`?last_event_id=\`) first replays every change since that id; an id whose changes are no longer kept (option \`changeRetention\`) gets \`reset\` first: reload, then follow the stream. Comment lines keep idle streams alive.",
        "parameters": [
          {
            "schema": {
              "pattern": "^(0|[1-9][0-9]{0,15})$",
              "type": "string"
            },
            "in": "query",
            "name": "last_event_id",
            "required": false,
            "description": "Resume after this event id (the SSE \`id\` last received), for clients that cannot send the Last-Event-ID header"
          }
        ],
        "responses": {
          "200": {
            "description": "The event stream",
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "406": {
            "description": "The client does not accept text/event-stream",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The client does not accept text/event-stream",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "429": {
            "description": "The caller already holds the most streams allowed (maxStreamsPerUser)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The caller already holds the most streams allowed (maxStreamsPerUser)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "Real-time delivery is down (the event bus is reconnecting); retry shortly",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Real-time delivery is down (the event bus is reconnecting); retry shortly",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/conversations/{id}/typing/": {
      "post": {
        "summary": "Say you are typing",
        "tags": [
          "direct messages"
        ],
        "description": "Tells user \`id\`'s event streams that the caller is typing to them (\`typing\` \`{partner, expires_at}\`, 5 s from now). Nothing is stored. Calls less than 2 s apart are sent on once. When user \`id\` could not receive a message from the caller (the messaging policy, a block), the answer is the same 204 and nothing is sent.",
        "parameters": [
          {
            "schema": {
              "pattern": "^[A-Za-z0-9_-]{1,128}$",
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The other user's id"
          }
        ],
        "responses": {
          "204": {
            "description": "Sent on (or not, see above)"
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The user does not exist",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The user does not exist",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/presence/": {
      "get": {
        "summary": "Who is online",
        "tags": [
          "direct messages"
        ],
        "description": "For each of \`ids\` (1–100 distinct user ids, comma-separated), whether the user is online (an event stream of theirs is open on any instance) and when their last stream closed. Only the users the caller has a conversation with, and no block between them, are answered truthfully; anyone else reads offline and never seen.",
        "parameters": [
          {
            "schema": {
              "type": "string"
            },
            "in": "query",
            "name": "ids",
            "required": true,
            "description": "User ids, separated by commas"
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "title": "Presence",
                    "type": "object",
                    "required": [
                      "id",
                      "online",
                      "last_seen_at"
                    ],
                    "properties": {
                      "id": {
                        "pattern": "^[A-Za-z0-9_-]{1,128}$",
                        "description": "The other user's id",
                        "type": "string"
                      },
                      "online": {
                        "description": "An event stream of theirs is open, on any instance",
                        "type": "boolean"
                      },
                      "last_seen_at": {
                        "description": "When their last event stream closed; null: never, or not known to the caller",
                        "format": "date-time",
                        "type": "string",
                        "nullable": true
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed id, cursor or body",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Malformed id, cursor or body",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/": {
      "post": {
        "summary": "Declare an upload",
        "tags": [
          "direct messages"
        ],
        "description": "Declares a file the caller will send in a message: its name, type and size in bytes. Answers the attachment id (what a send names in \`attachments\`) and the request that sends its bytes: \`upload.method\` to \`upload.url\` with exactly \`upload.headers\`, before \`expires_at\`. The bytes are checked when the attachment is first sent: their size must be the one declared, and the type sniffed from them must be allowed and agree with the declared one.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "name",
                  "content_type",
                  "size"
                ],
                "properties": {
                  "name": {
                    "description": "The file name, shown to the partner (1–255 characters, no control characters); never used as a path",
                    "type": "string"
                  },
                  "content_type": {
                    "description": "The media type, e.g. \`image/png\`; one the \`attachmentTypes\` option allows",
                    "type": "string"
                  },
                  "size": {
                    "description": "Bytes; at most the \`maxAttachmentSize\` option (default 25 MiB)",
                    "type": "number"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "title": "AttachmentUpload",
                  "type": "object",
                  "required": [
                    "id",
                    "upload",
                    "expires_at"
                  ],
                  "properties": {
                    "id": {
                      "type": "string"
                    },
                    "upload": {
                      "type": "object",
                      "required": [
                        "method",
                        "url",
                        "headers"
                      ],
                      "properties": {
                        "method": {
                          "type": "string",
                          "enum": [
                            "PUT"
                          ]
                        },
                        "url": {
                          "description": "Where to send the bytes: the plugin's own route, or a presigned URL of the storage",
                          "type": "string"
                        },
                        "headers": {
                          "description": "Headers the upload must carry",
                          "type": "object",
                          "additionalProperties": {
                            "type": "string"
                          }
                        }
                      }
                    },
                    "expires_at": {
                      "format": "date-time",
                      "description": "When the upload URL expires",
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A name, type or size that is not one (\`FST_DM_INVALID_UPLOAD\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "A name, type or size that is not one (\`FST_DM_INVALID_UPLOAD\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "Larger than the \`maxAttachmentSize\` option (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Larger than the \`maxAttachmentSize\` option (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "415": {
            "description": "A type the \`attachmentTypes\` option does not allow (\`FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "A type the \`attachmentTypes\` option does not allow (\`FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`); nothing was stored",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`); nothing was stored",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/": {
      "get": {
        "summary": "Read an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "Redirects (302) to a fresh signed URL of the bytes of attachment \`id\`, for a participant who sees its message. Anyone else, an unknown id, an unsent message: 404, all alike.",
        "parameters": [
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "responses": {
          "302": {
            "description": "Location: the signed URL"
          },
          "401": {
            "description": "No authenticated user",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No authenticated user",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "No attachment the caller may read has this id (\`FST_DM_ATTACHMENT_NOT_FOUND\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "No attachment the caller may read has this id (\`FST_DM_ATTACHMENT_NOT_FOUND\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/upload": {
      "put": {
        "summary": "Upload the bytes of an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "The signed upload URL of \`POST /attachments/\` with local storage: the body is the file's bytes, with the declared Content-Type. More bytes than declared are refused as they arrive (413); fewer: 400; a second upload: 409.",
        "parameters": [
          {
            "schema": {
              "maxLength": 16,
              "type": "string"
            },
            "in": "query",
            "name": "expires",
            "required": false,
            "description": "When the URL expires (Unix seconds), as signed"
          },
          {
            "schema": {
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "signature",
            "required": false,
            "description": "The URL's signature"
          },
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "security": [],
        "responses": {
          "204": {
            "description": "Stored"
          },
          "400": {
            "description": "Another Content-Type than declared (\`FST_DM_INVALID_UPLOAD\`), or fewer bytes than declared (\`FST_DM_INCOMPLETE_UPLOAD\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "Another Content-Type than declared (\`FST_DM_INVALID_UPLOAD\`), or fewer bytes than declared (\`FST_DM_INCOMPLETE_UPLOAD\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "403": {
            "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The upload is gone (it expired)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The upload is gone (it expired)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "The bytes were uploaded already (\`FST_DM_ALREADY_UPLOADED\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The bytes were uploaded already (\`FST_DM_ALREADY_UPLOADED\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "More bytes than declared (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "More bytes than declared (\`FST_DM_ATTACHMENT_TOO_LARGE\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The storage cannot be reached (\`FST_DM_STORAGE_UNAVAILABLE\`)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/file": {
      "get": {
        "summary": "The bytes of an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "A signed URL of a message's file (or thumbnail), as messages carry them: the bytes with their stored type, \`X-Content-Type-Options: nosniff\`, \`Content-Security-Policy: sandbox\` and \`Content-Disposition: attachment\` (inline for images of safe types). Range requests are served (206). With a storage that serves files itself, a redirect (302) to its presigned URL.",
        "parameters": [
          {
            "schema": {
              "maxLength": 16,
              "type": "string"
            },
            "in": "query",
            "name": "expires",
            "required": false,
            "description": "When the URL expires (Unix seconds), as signed"
          },
          {
            "schema": {
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "signature",
            "required": false,
            "description": "The URL's signature"
          },
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "security": [],
        "responses": {
          "403": {
            "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The file is no message's any more (unsent, or deleted by both participants)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The file is no message's any more (unsent, or deleted by both participants)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/dm/attachments/{id}/thumbnail": {
      "get": {
        "summary": "The bytes of an attachment",
        "tags": [
          "direct messages"
        ],
        "description": "A signed URL of a message's file (or thumbnail), as messages carry them: the bytes with their stored type, \`X-Content-Type-Options: nosniff\`, \`Content-Security-Policy: sandbox\` and \`Content-Disposition: attachment\` (inline for images of safe types). Range requests are served (206). With a storage that serves files itself, a redirect (302) to its presigned URL.",
        "parameters": [
          {
            "schema": {
              "maxLength": 16,
              "type": "string"
            },
            "in": "query",
            "name": "expires",
            "required": false,
            "description": "When the URL expires (Unix seconds), as signed"
          },
          {
            "schema": {
              "maxLength": 128,
              "type": "string"
            },
            "in": "query",
            "name": "signature",
            "required": false,
            "description": "The URL's signature"
          },
          {
            "schema": {
              "maxLength": 64,
              "type": "string"
            },
            "in": "path",
            "name": "id",
            "required": true,
            "description": "The attachment id"
          }
        ],
        "security": [],
        "responses": {
          "403": {
            "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The URL is forged or has expired (whether the file exists is not said): ask for a fresh one",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "The file is no message's any more (unsent, or deleted by both participants)",
            "content": {
              "application/json": {
                "schema": {
                  "title": "Error",
                  "description": "The file is no message's any more (unsent, or deleted by both participants)",
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/users": {
      "post": {
        "summary": "Create a user",
        "tags": [
          "users"
        ],
        "description": "Creates a demo user and answers its API token.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "username"
                ],
                "properties": {
                  "username": {
                    "minLength": 1,
                    "maxLength": 150,
                    "pattern": "^[\\\\w.@+-]+$",
                    "description": "Letters, digits and @.+-_ only",
                    "type": "string"
                  },
                  "first_name": {
                    "maxLength": 150,
                    "type": "string"
                  },
                  "last_name": {
                    "maxLength": 150,
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "security": [],
        "responses": {
          "201": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "id",
                    "username",
                    "first_name",
                    "last_name",
                    "token"
                  ],
                  "properties": {
                    "id": {
                      "anyOf": [
                        {
                          "type": "integer"
                        },
                        {
                          "type": "string"
                        }
                      ]
                    },
                    "username": {
                      "type": "string"
                    },
                    "first_name": {
                      "type": "string"
                    },
                    "last_name": {
                      "type": "string"
                    },
                    "token": {
                      "description": "Send as \`Authorization: Token <token>\` (or \`Bearer <token>\`)",
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "409": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/users/": {
      "get": {
        "summary": "Find a user by username",
        "tags": [
          "users"
        ],
        "description": "Answers the user named \`username\`, to start a conversation with them.",
        "parameters": [
          {
            "schema": {
              "minLength": 1,
              "maxLength": 150,
              "pattern": "^[\\\\w.@+-]+$",
              "type": "string"
            },
            "in": "query",
            "name": "username",
            "required": true,
            "description": "Letters, digits and @.+-_ only"
          }
        ],
        "security": [
          {
            "token": []
          }
        ],
        "responses": {
          "200": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "id",
                    "username",
                    "first_name",
                    "last_name"
                  ],
                  "properties": {
                    "id": {
                      "anyOf": [
                        {
                          "type": "integer"
                        },
                        {
                          "type": "string"
                        }
                      ]
                    },
                    "username": {
                      "type": "string"
                    },
                    "first_name": {
                      "type": "string"
                    },
                    "last_name": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "description": "Default Response",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "statusCode",
                    "error",
                    "message"
                  ],
                  "properties": {
                    "statusCode": {
                      "type": "integer"
                    },
                    "code": {
                      "type": "string"
                    },
                    "error": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  },
  "security": [
    {
      "token": []
    }
  ]
}
`

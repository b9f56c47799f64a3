"""Account managers' workspace: notes and tasks on buyers, «Мои клиенты»."""

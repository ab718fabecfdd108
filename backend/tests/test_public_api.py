import userlink_backend


def test_all_is_sorted_and_complete():
    assert userlink_backend.__all__ == sorted(userlink_backend.__all__)
    assert all(hasattr(userlink_backend, name) for name in userlink_backend.__all__)


def test_every_error_is_in_the_one_tree():
    errors = [
        getattr(userlink_backend, name)
        for name in userlink_backend.__all__
        if isinstance(getattr(userlink_backend, name), type)
        and issubclass(getattr(userlink_backend, name), Exception)
    ]

    assert len(errors) == 12
    assert all(issubclass(error, userlink_backend.UserLinkBackendError) for error in errors)


def test_the_two_clients_have_the_same_routes():
    def routes(kind):
        return {name for name in vars(kind) if not name.startswith("_")} - {
            "close",
            "aclose",
        }

    assert routes(userlink_backend.PlatformClient) == routes(userlink_backend.AsyncPlatformClient)
